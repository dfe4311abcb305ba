//! Pages of list answers, and iterating over every page.
//!
//! Two styles exist: page numbers (`page`/`current`, `pages`, `total`) and keyset
//! (`nextToken`). Iteration ends when the answer says so (`nextToken` absent or empty,
//! `current ≥ pages`), when a page is empty or shorter than asked, at a caller-set limit of
//! items, or — against a server that never says stop — after [`policy::MAX_PAGES`] pages.

use std::collections::VecDeque;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::error::Error;
use crate::operation::Operation;
use crate::policy;
use crate::{Client, blocking};

/// One page of a list answer.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// `total`: items in all pages (page-number mode).
    pub total: Option<u64>,
    /// `current`: this page's number (page-number mode).
    pub current: Option<u64>,
    /// `pages`: how many pages there are (page-number mode).
    pub pages: Option<u64>,
    /// `perPage` / `pageSize`: the page size the server used.
    pub per_page: Option<u64>,
    /// `nextToken`: the token of the next page (keyset mode); absent on the last.
    pub next_token: Option<String>,
    /// The whole answer, as received.
    pub raw: Value,
}

impl<T> Page<T> {
    /// Whether the answer says there is no page after this one.
    pub fn is_last(&self, asked_per_page: Option<u64>) -> bool {
        self.is_last_of(self.items.len(), asked_per_page)
    }

    /// [`Page::is_last`] for a page of `count` items.
    pub fn is_last_of(&self, count: usize, asked_per_page: Option<u64>) -> bool {
        if count == 0 {
            return true;
        }
        if let Some(token) = &self.next_token {
            return token.trim().is_empty();
        }
        if let (Some(current), Some(pages)) = (self.current, self.pages) {
            return current >= pages;
        }
        if let (Some(total), Some(current), Some(size)) =
            (self.total, self.current, self.per_page.or(asked_per_page))
        {
            return current.saturating_mul(size) >= total;
        }
        // No paging information: a short page is the last one.
        let size = self.per_page.or(asked_per_page);
        size.is_none_or(|size| (count as u64) < size)
    }
}

/// A list call that can ask for the page after a given one.
pub trait Paged: Operation<Output = Page<Self::Item>> + Clone + 'static {
    /// The items of a page.
    type Item: Send + 'static;

    /// The request for the page after `page`, or `None` when `page` was the last.
    fn next_page(&self, page: &Page<Self::Item>) -> Option<Self> {
        self.next_page_of(page, page.items.len())
    }

    /// [`Paged::next_page`] for a page of `count` items (whose items may not be at hand).
    fn next_page_of(&self, page: &Page<Self::Item>, count: usize) -> Option<Self>;
}

/// Every item of every page of a list call, fetched a page at a time as they are consumed.
///
/// ```no_run
/// # async fn run(client: yunxiao_appstack::Client, stage: yunxiao_appstack::StageRef) -> Result<(), yunxiao_appstack::Error> {
/// use yunxiao_appstack::ListRunsOptions;
/// let mut runs = client.list_release_stage_runs_all(&stage, ListRunsOptions::default(), Some(100));
/// while let Some(run) = runs.next().await {
///     println!("{:?}", run?.number);
/// }
/// # Ok(()) }
/// ```
pub struct Paginator<O: Paged> {
    client: Client,
    next: Option<O>,
    buffer: VecDeque<O::Item>,
    remaining: Option<usize>,
    pages_fetched: usize,
}

impl<O: Paged> Paginator<O> {
    pub(crate) fn new(client: Client, first: O, limit: Option<usize>) -> Self {
        Paginator {
            client,
            next: Some(first),
            buffer: VecDeque::new(),
            remaining: limit,
            pages_fetched: 0,
        }
    }

    /// The next item, fetching the next page when needed; `None` at the end (or the limit).
    pub async fn next(&mut self) -> Option<Result<O::Item, Error>> {
        if self.remaining == Some(0) {
            return None;
        }
        while self.buffer.is_empty() {
            let request = self.next.take()?;
            if self.pages_fetched >= policy::MAX_PAGES {
                tracing::warn!(
                    target: "yunxiao_appstack",
                    pages = self.pages_fetched,
                    "stopping a listing that never ended"
                );
                return None;
            }
            let page = match self.client.send(&request).await {
                Ok(page) => page,
                Err(error) => return Some(Err(error)),
            };
            self.pages_fetched += 1;
            self.next = request.next_page(&page);
            self.buffer.extend(page.items);
        }
        let item = self.buffer.pop_front()?;
        if let Some(remaining) = &mut self.remaining {
            *remaining -= 1;
        }
        Some(Ok(item))
    }

    /// Every remaining item, in order (bounded by the limit).
    pub async fn collect(mut self) -> Result<Vec<O::Item>, Error> {
        let mut items = Vec::new();
        while let Some(item) = self.next().await {
            items.push(item?);
        }
        Ok(items)
    }
}

/// The blocking twin of [`Paginator`]: an [`Iterator`] of results.
pub struct BlockingPaginator<O: Paged> {
    client: blocking::Client,
    inner: Option<Paginator<O>>,
}

impl<O: Paged> BlockingPaginator<O> {
    pub(crate) fn new(client: blocking::Client, first: O, limit: Option<usize>) -> Self {
        let inner = Paginator::new(client.async_client().clone(), first, limit);
        BlockingPaginator {
            client,
            inner: Some(inner),
        }
    }
}

impl<O: Paged> Iterator for BlockingPaginator<O>
where
    O::Item: Send,
{
    type Item = Result<O::Item, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut inner = self.inner.take()?;
        // The paginator moves into the runtime and back, so the in-runtime path of
        // `blocking::Client::run` (which needs `'static`) works too.
        let outcome = self.client.run(move |_| async move {
            let item = inner.next().await;
            Ok((item, inner))
        });
        match outcome {
            Ok((item, inner)) => {
                self.inner = Some(inner);
                item
            }
            Err(error) => Some(Err(error)),
        }
    }
}

'use strict';

// yunxiao-appstack for Node.js: start Alibaba Cloud Yunxiao AppStack release stages.
// Everything the library does is done by the Rust core through the native addon; this package
// adds Promises, error classes you can `instanceof`, and argument type checks.

const native = require('./native.js');
const { Client, executeReleaseStage } = require('./lib/client.js');
const {
  YunxiaoError,
  APIStatusError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  RateLimitError,
  InternalServerError,
  APIConnectionError,
  APITimeoutError,
  InvalidRequestError,
  ConfigurationError,
  ResponseDecodeError,
  AbortError,
} = require('./lib/errors.js');

/** The version of the library: the Rust workspace's version, as compiled into the addon. */
const VERSION = native.coreVersion();

// Shorthand properties only, so that Node's CommonJS export detection sees every name when
// this file is imported from ES modules directly.
module.exports = {
  Client,
  executeReleaseStage,
  YunxiaoError,
  APIStatusError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  RateLimitError,
  InternalServerError,
  APIConnectionError,
  APITimeoutError,
  InvalidRequestError,
  ConfigurationError,
  ResponseDecodeError,
  AbortError,
  VERSION,
};

// The expected class for each of the core's error kind codes, written out independently of
// lib/errors.js so the tests check the library's mapping rather than restate it.

import * as y from '../../index.js';

export const EXPECTED_CLASS = Object.freeze({
  invalid_request: y.InvalidRequestError,
  configuration: y.ConfigurationError,
  bad_request: y.BadRequestError,
  authentication: y.AuthenticationError,
  permission_denied: y.PermissionDeniedError,
  not_found: y.NotFoundError,
  rate_limited: y.RateLimitError,
  api_status: y.APIStatusError,
  server: y.InternalServerError,
  timeout: y.APITimeoutError,
  connection: y.APIConnectionError,
  decode: y.ResponseDecodeError,
  response_too_large: y.ResponseTooLargeError,
});

// ESM entry point: the same objects as the CommonJS entry (one module instance, so `instanceof`
// works whichever way the package was loaded).
import cjs from './index.js';

export const {
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
} = cjs;

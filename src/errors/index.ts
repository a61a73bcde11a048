export { ERROR_CODES, exitCodeFor, type ErrorCode, type ErrorCodeInfo } from "./codes.js";
export { ZopsError, isZopsError, messageOf, type ZopsErrorOptions } from "./zops-error.js";
export { errnoOf, localError, withLocalErrors } from "./errno.js";

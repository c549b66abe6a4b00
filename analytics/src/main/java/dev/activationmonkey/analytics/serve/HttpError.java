package dev.activationmonkey.analytics.serve;

/**
 * A request the dashboard refuses, with the HTTP status and a one-line message for the client (never a stack
 * trace): 400 for a bad parameter, 404 for an unknown run or path.
 */
final class HttpError extends RuntimeException {
  private final int status;

  HttpError(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  static HttpError badRequest(String message) {
    return new HttpError(400, message);
  }

  static HttpError notFound(String message) {
    return new HttpError(404, message);
  }

  int status() {
    return status;
  }
}

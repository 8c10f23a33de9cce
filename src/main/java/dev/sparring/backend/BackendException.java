package dev.sparring.backend;

/** A backend could not be created or an operation failed in a native library. */
public class BackendException extends RuntimeException {
    public BackendException(String message) { super(message); }

    public BackendException(String message, Throwable cause) { super(message, cause); }
}

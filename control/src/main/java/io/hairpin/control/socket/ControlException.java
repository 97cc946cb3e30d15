package io.hairpin.control.socket;

/**
 * A control-socket call that did not give a result. The message is one sentence for the operator
 * (the CLI prints it after "hairpin: ").
 */
public final class ControlException extends RuntimeException {

    public enum Kind {
        /** No socket file, or nothing listens on it. */
        NOT_RUNNING,
        /** The socket file or the server refused this user. */
        DENIED,
        /** The server rejected the request (code bad-request): the caller's input is at fault. */
        BAD_REQUEST,
        /** The appliance could not do it (code failed, busy, timeout, ...). */
        FAILED,
        /** No answer in time, a broken connection, or an answer that is not this protocol. */
        PROTOCOL
    }

    private final Kind kind;

    public ControlException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public ControlException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** The CLI's exit code for it: 2 when the input was bad, else 1. */
    public int exitCode() {
        return kind == Kind.BAD_REQUEST ? 2 : 1;
    }
}

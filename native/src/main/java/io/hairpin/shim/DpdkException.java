package io.hairpin.shim;

/** A DPDK or shim failure, with a message meant for an operator. */
public final class DpdkException extends RuntimeException {
    public DpdkException(String message) {
        super(message);
    }

    public DpdkException(String message, Throwable cause) {
        super(message, cause);
    }
}

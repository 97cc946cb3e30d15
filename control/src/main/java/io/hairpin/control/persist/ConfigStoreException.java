package io.hairpin.control.persist;

import java.io.IOException;

/** Storing the config failed; the message is one sentence naming the file and the reason. */
@SuppressWarnings("serial")
public final class ConfigStoreException extends IOException {
    public ConfigStoreException(String message) {
        super(message);
    }

    public ConfigStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.hairpin.control.config;

import java.util.Objects;

/**
 * The control plane's endpoints.
 *
 * @param socket path of the UNIX control socket
 * @param myip {@code address:port} of the myip responder, or null for none
 * @param metrics {@code address:port} of the Prometheus endpoint, or null for none
 */
public record ControlConfig(String socket, String myip, String metrics) {

    public static final String DEFAULT_SOCKET = "/run/hairpin/control.sock";

    public ControlConfig {
        Objects.requireNonNull(socket, "socket");
    }

    /** The address of an {@code address:port} endpoint as read (myip, metrics). */
    public static int addressOf(String endpoint) {
        return Ipv4.parse(endpoint.substring(0, endpoint.lastIndexOf(':')));
    }

    /** The control section of a file that has none: the default socket, no myip, no metrics. */
    public static ControlConfig defaults() {
        return new ControlConfig(DEFAULT_SOCKET, null, null);
    }
}

package io.hairpin.control.cli;

/** sd_notify through systemd-notify when NOTIFY_SOCKET is set (Type=notify units); a no-op otherwise. */
final class SystemdNotify {
    private SystemdNotify() {
    }

    static void ready() {
        send("--ready");
    }

    static void stopping() {
        send("STOPPING=1");
    }

    private static void send(String arg) {
        if (System.getenv("NOTIFY_SOCKET") == null) {
            return;
        }
        try {
            new ProcessBuilder("systemd-notify", "--pid=" + ProcessHandle.current().pid(), arg).inheritIO().start().waitFor();
        } catch (Exception e) {
            System.err.println("hairpin: could not notify systemd: " + e.getMessage());
        }
    }
}

package io.hairpin.control.cli;

import io.hairpin.control.service.ControlService.InterfaceStatus;
import io.hairpin.control.service.ControlService.Status;
import io.hairpin.control.socket.ControlClient;
import io.hairpin.control.socket.Wire;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

@Command(name = "status", description = "Show the running appliance: version, uptime, config, interfaces and links.")
public final class StatusCommand extends ClientCommand {

    @Override
    int run(ControlClient client, PrintWriter out, PrintWriter err) {
        Map<String, Object> result = client.call("status", Map.of());
        if (printedJson(result, out)) {
            return 0;
        }
        Status s = Wire.status(result);
        new Columns("", "")
                .add("version", s.version())
                .add("pid", s.pid())
                .add("uptime", uptime(s.uptimeSeconds()))
                .add("workers", s.workers())
                .add("config", s.config())
                .add("rules", "version " + s.snapshotVersion())
                .add("sessions", s.sessionCapacity() == 0 ? Long.toString(s.sessions())
                        : s.sessions() + " of " + s.sessionCapacity())
                .add("host services", hostServices(s.hostServices()))
                .printWithoutHeader(out);
        List<InterfaceStatus> interfaces = s.interfaces() == null ? List.of() : s.interfaces();
        if (!interfaces.isEmpty()) {
            out.println();
            Columns t = new Columns("INTERFACE", "ROLE", "DEVICE", "ADDRESSES", "MAC", "LINK", "SPEED").right(6);
            for (InterfaceStatus i : interfaces) {
                t.add(i.name(), i.role(), i.device(), i.addresses() == null ? null : String.join(", ", i.addresses()),
                        i.mac(), i.linkUp() ? "up" : "down", speed(i.speedMbps()));
            }
            t.print(out, "");
        }
        return 0;
    }

    /** What the exception path reaches on the appliance itself: TCP listeners, or why none. */
    static String hostServices(List<String> services) {
        if (services == null) {
            return "- (exception path off)";
        }
        return services.isEmpty() ? "none (no TCP listener)" : "tcp " + String.join(", ", services);
    }

    /** 3d 04:05:06, or 04:05:06 under a day. */
    static String uptime(long seconds) {
        long d = seconds / 86400;
        String hms = String.format("%02d:%02d:%02d", seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
        return d > 0 ? d + "d " + hms : hms;
    }

    static String speed(long mbps) {
        if (mbps <= 0) {
            return "-";
        }
        return mbps % 1000 == 0 ? mbps / 1000 + " Gb/s" : mbps + " Mb/s";
    }
}

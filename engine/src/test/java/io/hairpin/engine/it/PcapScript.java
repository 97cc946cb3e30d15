package io.hairpin.engine.it;

import static io.hairpin.engine.testing.Frames.ip;
import static io.hairpin.engine.testing.Frames.mac;

import io.hairpin.engine.testing.Frames;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the net_pcap inputs of a run from phases, so that every frame of a phase is processed
 * after every frame of the phases before it, whichever port it arrives on.
 *
 * <p>The worker polls the ports in device order, reading a burst of up to {@link #BURST} frames
 * from each per loop iteration, and net_pcap hands out full bursts while frames remain. A frame
 * at index i of a port's input is therefore processed in iteration i / BURST. To place a frame
 * after an earlier frame on another port, its port's input is padded with frames addressed to
 * another MAC (the appliance drops them as not_for_us) until the frame falls into a late enough
 * iteration, plus one burst of slack.
 */
final class PcapScript {
    static final int BURST = 32;
    /** Extra bursts between dependent frames on different ports, so ordering never hinges on one burst. */
    private static final int SLACK = 1;
    static final byte[] PADDING = Frames.udp4(mac("02:98:00:00:00:01"), mac("02:99:00:00:00:01"), ip("192.0.2.1"),
            ip("192.0.2.2"), 9, 9, new byte[4]).build();

    private final List<String> groups;
    private final List<List<byte[]>> in = new ArrayList<>();
    /** Per port, the last iteration holding a frame of a finished phase (-1: none). */
    private final int[] done;
    /** Per port, the last iteration holding a frame of the current phase (-1: none). */
    private final int[] current;
    private final boolean[] opened;

    /** @param groups the device groups in the order the engine polls them (the order of first use in the interfaces) */
    PcapScript(String... groups) {
        this.groups = List.of(groups);
        for (int i = 0; i < groups.length; i++) {
            in.add(new ArrayList<>());
        }
        done = new int[groups.length];
        current = new int[groups.length];
        opened = new boolean[groups.length];
        java.util.Arrays.fill(done, -1);
        java.util.Arrays.fill(current, -1);
    }

    /** Adds frames, in order, to the current phase on the given device group. */
    PcapScript add(String group, byte[]... frames) {
        return add(group, List.of(frames));
    }

    PcapScript add(String group, List<byte[]> frames) {
        int b = groups.indexOf(group);
        if (b < 0) {
            throw new IllegalArgumentException("unknown device group " + group);
        }
        List<byte[]> list = in.get(b);
        if (!opened[b]) {
            opened[b] = true;
            int r = 0;
            for (int a = 0; a < done.length; a++) {
                if (a != b && done[a] >= 0) {
                    r = Math.max(r, done[a] + (a < b ? 0 : 1) + SLACK);
                }
            }
            while (list.size() < r * BURST) {
                list.add(PADDING);
            }
        }
        for (byte[] f : frames) {
            list.add(f);
            current[b] = Math.max(current[b], (list.size() - 1) / BURST);
        }
        return this;
    }

    /** Ends the current phase: what is added next is processed after everything added so far. */
    PcapScript then() {
        for (int p = 0; p < done.length; p++) {
            done[p] = Math.max(done[p], current[p]);
            opened[p] = false;
        }
        return this;
    }

    Map<String, List<byte[]>> inputs() {
        Map<String, List<byte[]>> m = new LinkedHashMap<>();
        for (int p = 0; p < groups.size(); p++) {
            m.put(groups.get(p), List.copyOf(in.get(p)));
        }
        return m;
    }
}

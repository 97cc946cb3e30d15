package io.hairpin.engine.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Classic libpcap files (not pcapng), linktype 1 (Ethernet) only.
 *
 * <p>Reads magic 0xa1b2c3d4 (microsecond) and 0xa1b23c4d (nanosecond) in either byte order. Writes
 * microsecond files, little-endian by default, version 2.4, snaplen 65535 (or the longest frame if larger).
 * This is the format DPDK's net_pcap PMD reads ({@code rx_pcap=}) and writes ({@code tx_pcap=}).
 */
public final class Pcap {

    public static final int LINKTYPE_ETHERNET = 1;
    static final int MAGIC_MICROS = 0xA1B2C3D4;
    static final int MAGIC_NANOS = 0xA1B23C4D;
    private static final int GLOBAL_HEADER = 24;
    private static final int RECORD_HEADER = 16;
    private static final int SANE_MAX_RECORD = 256 * 1024 * 1024;

    /** One captured record. {@code timestampNanos} is nanoseconds since the epoch; {@code data} is the captured bytes. */
    public record Packet(long timestampNanos, int originalLength, byte[] data) {
        public Packet(long timestampNanos, byte[] data) {
            this(timestampNanos, data.length, data);
        }
    }

    private Pcap() {}

    /** Writes {@code frames} as a little-endian microsecond pcap; frame i gets timestamp i microseconds. */
    public static void write(Path file, List<byte[]> frames) throws IOException {
        write(file, frames, ByteOrder.LITTLE_ENDIAN);
    }

    /** As {@link #write(Path, List)} with an explicit byte order. */
    public static void write(Path file, List<byte[]> frames, ByteOrder order) throws IOException {
        List<Packet> packets = new ArrayList<>(frames.size());
        for (int i = 0; i < frames.size(); i++) {
            packets.add(new Packet(i * 1_000L, frames.get(i)));
        }
        writePackets(file, packets, order);
    }

    /** Writes records with their own timestamps (truncated to microseconds) and original lengths. */
    public static void writePackets(Path file, List<Packet> packets, ByteOrder order) throws IOException {
        int snaplen = 65535;
        long size = GLOBAL_HEADER;
        for (Packet p : packets) {
            snaplen = Math.max(snaplen, p.data().length);
            size += RECORD_HEADER + p.data().length;
        }
        if (size > Integer.MAX_VALUE) {
            throw new IOException("pcap too large to build in memory: " + size + " bytes");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size).order(order);
        buf.putInt(MAGIC_MICROS);
        buf.putShort((short) 2);
        buf.putShort((short) 4);
        buf.putInt(0);          // thiszone
        buf.putInt(0);          // sigfigs
        buf.putInt(snaplen);
        buf.putInt(LINKTYPE_ETHERNET);
        for (Packet p : packets) {
            long ts = p.timestampNanos();
            buf.putInt((int) Math.floorDiv(ts, 1_000_000_000L));
            buf.putInt((int) (Math.floorMod(ts, 1_000_000_000L) / 1_000L));
            buf.putInt(p.data().length);
            buf.putInt(Math.max(p.originalLength(), p.data().length));
            buf.put(p.data());
        }
        Files.write(file, buf.array());
    }

    /** Reads the frames (captured bytes) of a classic pcap file. */
    public static List<byte[]> read(Path file) throws IOException {
        List<Packet> packets = readPackets(file);
        List<byte[]> frames = new ArrayList<>(packets.size());
        for (Packet p : packets) {
            frames.add(p.data());
        }
        return frames;
    }

    /** Reads all records of a classic pcap file, with timestamps. */
    public static List<Packet> readPackets(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < GLOBAL_HEADER) {
            throw new IOException(file + ": not a pcap file: " + bytes.length
                    + " bytes is shorter than the 24-byte global header");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int magic = buf.getInt(0);
        boolean nanos;
        if (magic == MAGIC_MICROS || magic == MAGIC_NANOS) {
            nanos = magic == MAGIC_NANOS;
        } else if (Integer.reverseBytes(magic) == MAGIC_MICROS || Integer.reverseBytes(magic) == MAGIC_NANOS) {
            buf.order(ByteOrder.BIG_ENDIAN);
            nanos = Integer.reverseBytes(magic) == MAGIC_NANOS;
        } else if (magic == 0x0A0D0D0A) {
            throw new IOException(file + ": this is a pcapng file; only classic pcap is supported"
                    + " (convert with: editcap -F pcap in.pcapng out.pcap)");
        } else {
            throw new IOException(file + ": bad pcap magic 0x" + hex8(magic)
                    + " (expected a1b2c3d4 or a1b23c4d in either byte order)");
        }
        int linktype = buf.getInt(20) & 0xFFFF;   // upper bits may carry FCS information
        if (linktype != LINKTYPE_ETHERNET) {
            throw new IOException(file + ": unsupported linktype " + linktype + " (only 1 = Ethernet)");
        }
        List<Packet> packets = new ArrayList<>();
        int pos = GLOBAL_HEADER;
        while (pos < bytes.length) {
            int index = packets.size();
            if (bytes.length - pos < RECORD_HEADER) {
                throw new IOException(file + ": truncated record header for record #" + index + " at offset " + pos
                        + ": " + (bytes.length - pos) + " of 16 bytes present");
            }
            long sec = Integer.toUnsignedLong(buf.getInt(pos));
            long frac = Integer.toUnsignedLong(buf.getInt(pos + 4));
            long incl = Integer.toUnsignedLong(buf.getInt(pos + 8));
            long orig = Integer.toUnsignedLong(buf.getInt(pos + 12));
            if (incl > SANE_MAX_RECORD) {
                throw new IOException(file + ": record #" + index + " at offset " + pos
                        + " claims an implausible captured length of " + incl + " bytes");
            }
            if (incl > orig) {
                throw new IOException(file + ": record #" + index + " at offset " + pos + " has captured length "
                        + incl + " greater than original length " + orig);
            }
            int dataStart = pos + RECORD_HEADER;
            if (bytes.length - dataStart < incl) {
                throw new IOException(file + ": truncated record #" + index + " at offset " + pos + ": header says "
                        + incl + " bytes but only " + (bytes.length - dataStart) + " remain");
            }
            byte[] data = new byte[(int) incl];
            System.arraycopy(bytes, dataStart, data, 0, data.length);
            long ts = sec * 1_000_000_000L + (nanos ? frac : frac * 1_000L);
            packets.add(new Packet(ts, (int) Math.min(orig, Integer.MAX_VALUE), data));
            pos = dataStart + data.length;
        }
        return packets;
    }

    private static String hex8(int v) {
        return String.format("%08x", v);
    }
}

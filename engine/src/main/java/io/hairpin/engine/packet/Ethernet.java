package io.hairpin.engine.packet;

import io.hairpin.shim.Mem;

/** Ethernet II header at an absolute address; 802.1Q tags are handled by the caller via {@link #TPID_VLAN}. */
public final class Ethernet {
    public static final int HEADER_LEN = 14;
    public static final int VLAN_TAG_LEN = 4;
    public static final int OFF_DST = 0;
    public static final int OFF_SRC = 6;
    public static final int OFF_TYPE = 12;
    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_ARP = 0x0806;
    public static final int TPID_VLAN = 0x8100;
    public static final long BROADCAST = 0xffff_ffff_ffffL;

    private Ethernet() {
    }

    public static long dst(long frame) {
        return Mem.mac(frame + OFF_DST);
    }

    public static long src(long frame) {
        return Mem.mac(frame + OFF_SRC);
    }

    public static void dst(long frame, long mac) {
        Mem.mac(frame + OFF_DST, mac);
    }

    public static void src(long frame, long mac) {
        Mem.mac(frame + OFF_SRC, mac);
    }

    public static boolean isMulticast(long mac) {
        return (mac & 0x0100_0000_0000L) != 0;
    }

    public static String formatMac(long mac) {
        StringBuilder sb = new StringBuilder(17);
        for (int i = 5; i >= 0; i--) {
            int b = (int) (mac >>> (8 * i)) & 0xff;
            sb.append(Character.forDigit(b >>> 4, 16)).append(Character.forDigit(b & 0xf, 16));
            if (i > 0) {
                sb.append(':');
            }
        }
        return sb.toString();
    }

    public static long parseMac(String text) {
        String[] parts = text.split(":");
        if (parts.length != 6) {
            throw new IllegalArgumentException("not a MAC address: " + text);
        }
        long mac = 0;
        for (String p : parts) {
            mac = (mac << 8) | Integer.parseInt(p, 16);
        }
        return mac;
    }
}

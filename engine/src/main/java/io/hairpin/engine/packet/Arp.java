package io.hairpin.engine.packet;

import io.hairpin.shim.Mem;

/** ARP for IPv4 over Ethernet (RFC 826), at the address of the ARP header. */
public final class Arp {
    public static final int LEN = 28;
    public static final int OP_REQUEST = 1;
    public static final int OP_REPLY = 2;

    private Arp() {
    }

    /** Hardware type Ethernet, protocol IPv4, lengths 6 and 4. */
    public static boolean isEthernetIpv4(long arp) {
        return Mem.u16(arp) == 1 && Mem.u16(arp + 2) == Ethernet.TYPE_IPV4 && Mem.u8(arp + 4) == 6 && Mem.u8(arp + 5) == 4;
    }

    public static int op(long arp) {
        return Mem.u16(arp + 6);
    }

    public static long senderMac(long arp) {
        return Mem.mac(arp + 8);
    }

    public static int senderIp(long arp) {
        return Mem.i32(arp + 14);
    }

    public static long targetMac(long arp) {
        return Mem.mac(arp + 18);
    }

    public static int targetIp(long arp) {
        return Mem.i32(arp + 24);
    }

    public static void write(long arp, int op, long senderMac, int senderIp, long targetMac, int targetIp) {
        Mem.u16(arp, 1);
        Mem.u16(arp + 2, Ethernet.TYPE_IPV4);
        Mem.u8(arp + 4, 6);
        Mem.u8(arp + 5, 4);
        Mem.u16(arp + 6, op);
        Mem.mac(arp + 8, senderMac);
        Mem.i32(arp + 14, senderIp);
        Mem.mac(arp + 18, targetMac);
        Mem.i32(arp + 24, targetIp);
    }
}

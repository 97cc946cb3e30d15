package io.hairpin.engine.packet;

import io.hairpin.shim.Mem;

/** ICMP (RFC 792) at the address of the ICMP header. */
public final class Icmp {
    public static final int HEADER_LEN = 8;
    public static final int TYPE_ECHO_REPLY = 0;
    public static final int TYPE_UNREACHABLE = 3;
    public static final int TYPE_ECHO_REQUEST = 8;
    public static final int TYPE_TIME_EXCEEDED = 11;
    public static final int TYPE_PARAMETER_PROBLEM = 12;
    public static final int CODE_NET_UNREACHABLE = 0;
    public static final int CODE_HOST_UNREACHABLE = 1;
    public static final int CODE_PROTOCOL_UNREACHABLE = 2;
    public static final int CODE_PORT_UNREACHABLE = 3;
    public static final int CODE_FRAGMENTATION_NEEDED = 4;
    public static final int CODE_ADMIN_PROHIBITED = 13;
    public static final int CODE_TTL_EXCEEDED = 0;

    private Icmp() {
    }

    public static int type(long icmp) {
        return Mem.u8(icmp);
    }

    public static int code(long icmp) {
        return Mem.u8(icmp + 1);
    }

    public static boolean isError(int type) {
        return type == TYPE_UNREACHABLE || type == TYPE_TIME_EXCEEDED || type == TYPE_PARAMETER_PROBLEM || type == 4
                || type == 5;
    }

    public static boolean checksumOk(long icmp, int len) {
        return Checksum.fold(Checksum.sum(icmp, len, 0)) == 0xffff;
    }
}

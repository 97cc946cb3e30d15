package io.hairpin.perf;

import io.hairpin.engine.session.MappingTable;
import io.hairpin.engine.session.SessionTable;
import io.hairpin.engine.worker.Worker;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a worker's NAT state from the benchmark thread (the worker's own thread, between
 * iterations). The engine has no public accessor for it yet, so this goes through reflection
 * (the engine is on the class path, so its private fields are accessible): Worker.nat (Nat44) and
 * its fields (the session table, mapping table, host counters, port pools, ...). Only used
 * outside measured windows, except {@link #sessions()}, which is a plain call on the table once
 * resolved.
 */
final class NatProbe {
    private final Object nat;
    private SessionTable sessions;

    NatProbe(Worker worker) {
        nat = get(worker, "nat");
    }

    /** The session table, once the worker built it (its first doWork with NAT rules), else null. */
    SessionTable table() {
        if (sessions == null) {
            sessions = (SessionTable) get(nat, "sessions");
        }
        return sessions;
    }

    int sessions() {
        SessionTable t = sessions != null ? sessions : table();
        return t == null ? 0 : t.size();
    }

    /**
     * Bytes of the worker's NAT state, per field of Nat44 (arrays only, without array headers, as
     * SessionTable.footprintBytes() counts; the session table is its own footprintBytes()): every
     * instance field but the counters and the rules (which belong to the snapshot), descending
     * into engine objects and Agrona collections. Fields are found by type, not by name, so that
     * engine refactorings do not break the benchmark; empty ones are left out.
     */
    Map<String, Long> footprint() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Class<?> c = nat.getClass(); c != null; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()
                        || f.getName().equals("counters") || f.getName().equals("rules")) {
                    continue;
                }
                Object v = get(nat, f.getName());
                long bytes = v instanceof SessionTable t ? t.footprintBytes()
                        : v instanceof MappingTable t ? t.footprintBytes() : arrayBytes(v);
                if (bytes > 0) {
                    m.put(snake(f.getName()), bytes);
                }
            }
        }
        return m;
    }

    /** lastRemoteOf → last_remote_of. */
    static String snake(String name) {
        return name.equals("sessions") ? "session_table"
                : name.equals("mappings") ? "mapping_table"
                : name.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    static Object get(Object o, String name) {
        for (Class<?> c = o.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f.get(o);
            } catch (NoSuchFieldException e) {
                // try the superclass
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("cannot read " + c.getName() + "." + name + ": " + e, e);
            }
        }
        throw new IllegalStateException("no field " + name + " in " + o.getClass().getName()
                + " (the engine changed: update NatProbe)");
    }

    /** Bytes of every primitive array reachable from o through engine objects and object arrays (no headers). */
    static long arrayBytes(Object o) {
        return arrayBytes(o, new IdentityHashMap<>());
    }

    private static long arrayBytes(Object o, IdentityHashMap<Object, Boolean> seen) {
        if (o == null || seen.put(o, Boolean.TRUE) != null) {
            return 0;
        }
        Class<?> c = o.getClass();
        if (c.isArray()) {
            Class<?> e = c.getComponentType();
            int n = Array.getLength(o);
            if (e.isPrimitive()) {
                return (long) n * primitiveSize(e);
            }
            long sum = 4L * n; // compressed references
            for (int i = 0; i < n; i++) {
                sum += arrayBytes(Array.get(o, i), seen);
            }
            return sum;
        }
        if (!c.getName().startsWith("io.hairpin.engine.") && !c.getName().startsWith("org.agrona.collections.")) {
            return 0;
        }
        long sum = 0;
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
                    continue;
                }
                f.setAccessible(true);
                try {
                    sum += arrayBytes(f.get(o), seen);
                } catch (IllegalAccessException ex) {
                    throw new IllegalStateException(ex);
                }
            }
        }
        return sum;
    }

    private static int primitiveSize(Class<?> e) {
        if (e == long.class || e == double.class) {
            return 8;
        }
        if (e == int.class || e == float.class) {
            return 4;
        }
        if (e == short.class || e == char.class) {
            return 2;
        }
        return 1;
    }
}

package io.hairpin.control.engine;

import io.hairpin.control.config.Cidr;
import io.hairpin.control.config.HairpinConfig;
import io.hairpin.control.config.InterfaceConfig;
import io.hairpin.control.config.Role;
import io.hairpin.control.config.RouteConfig;
import io.hairpin.engine.EngineConfig;
import java.util.List;

/** Maps a validated config onto what the engine runs. */
public final class EngineConfigs {
    private EngineConfigs() {
    }

    public static EngineConfig from(HairpinConfig c) {
        List<EngineConfig.Interface> ifs = c.interfaces().stream().map(EngineConfigs::interfaceOf).toList();
        List<EngineConfig.StaticRoute> routes = c.routes().stream().map(EngineConfigs::routeOf).toList();
        return new EngineConfig(c.workers(), c.eal(), ifs, routes, c.exceptionPath());
    }

    private static EngineConfig.Interface interfaceOf(InterfaceConfig i) {
        List<EngineConfig.Address> addrs = i.addresses().stream()
                .map((Cidr a) -> new EngineConfig.Address(a.address(), a.prefixLength())).toList();
        return new EngineConfig.Interface(i.name(), i.role() == Role.EXTERNAL, i.device(), i.vlan(), addrs,
                i.gateway() == null ? 0 : i.gateway(), i.mtu(), i.antiSpoofing(), i.mac() == null ? 0 : i.mac());
    }

    private static EngineConfig.StaticRoute routeOf(RouteConfig r) {
        return new EngineConfig.StaticRoute(r.prefix().network(), r.prefix().prefixLength(), r.via());
    }
}

package io.hairpin.control.myip;

import io.hairpin.control.appliance.HttpEndpoint;
import io.hairpin.control.service.ControlService;
import java.net.Inet4Address;
import java.net.InetSocketAddress;

/**
 * The myip responder ({@code control.myip}, product spec §5): GET /myip (or /) answers, as
 * text/plain with a trailing newline, the public address the asking host is seen as — its 1:1
 * external address, else the address its outbound NAT rule gives it (paired pooling), as
 * {@link ControlService#publicAddressOf} computes from the running rules. cPanel's installer
 * (MYIP=http://&lt;appliance&gt;/myip) reads the body as the server's public address and writes a
 * cpnat line when it differs from the local one.
 *
 * <p>A host no rule translates gets its own address: towards the Internet it is seen as itself
 * (a routed public address), and for cPanel "public = local" correctly means "not behind NAT",
 * so no cpnat line. An error page or an empty body would instead make the installer fail or
 * record garbage.
 *
 * <p>It listens on an internal address of the appliance. The appliance's addresses live on the
 * exception-path TAPs (in the appliance's network namespace), so binding works when the appliance
 * runs with {@code exception-path: true}; requests from the LAN reach it through the data plane's
 * exception path with their source address intact.
 */
public final class MyipServer implements AutoCloseable {
    private final HttpEndpoint endpoint;

    private MyipServer(HttpEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    /**
     * @param endpoint {@code address:port}
     * @throws HttpEndpoint.EndpointException when it cannot listen there (one sentence)
     */
    public static MyipServer start(String endpoint, ControlService service) throws HttpEndpoint.EndpointException {
        return new MyipServer(HttpEndpoint.start("the myip responder", endpoint,
                "it must be an internal address of the appliance, which exists once the exception path"
                        + " (exception-path: true) gives the interface its TAP",
                (path, remote) -> answer(path, remote, service)));
    }

    static HttpEndpoint.Response answer(String path, InetSocketAddress remote, ControlService service) {
        if (!path.equals("/myip") && !path.equals("/")) {
            return HttpEndpoint.Response.text(404, "Not found: ask /myip.\n");
        }
        if (!(remote.getAddress() instanceof Inet4Address)) {
            return HttpEndpoint.Response.text(400, "Only IPv4 hosts are translated.\n");
        }
        String host = remote.getAddress().getHostAddress();
        String pub = service.publicAddressOf(host);
        return HttpEndpoint.Response.text(200, (pub == null ? host : pub) + "\n");
    }

    public InetSocketAddress address() {
        return endpoint.address();
    }

    @Override
    public void close() {
        endpoint.close();
    }
}

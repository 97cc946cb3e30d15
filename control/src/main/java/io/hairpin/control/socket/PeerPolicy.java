package io.hairpin.control.socket;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import jdk.net.UnixDomainPrincipal;

/**
 * Who may use the control socket: root (uid 0), and members of one group (normally {@code hairpin}).
 *
 * <p>The kernel tells us the peer's uid and gid as of its {@code connect} (SO_PEERCRED, which the JDK
 * gives as a {@link UnixDomainPrincipal}); it does not tell us the peer's supplementary groups. So a
 * peer is a member when either
 * <ul>
 *   <li>its gid is the group (it runs with that group, e.g. under {@code sg hairpin} or a service
 *       with {@code Group=hairpin}), or</li>
 *   <li>the OS account database lists its user in the group: we ask {@code id -Gn -- USER}, which
 *       goes through NSS, so it sees /etc/group, LDAP, sssd, and the user's primary group alike. Parsing
 *       /etc/group ourselves would miss all but the first.</li>
 * </ul>
 * The second check is about the user, not the process: a process of a member that dropped its
 * supplementary groups is still let in. That is deliberate (it is the same person) and is how
 * {@code /etc/group} membership is understood by every other tool. When {@code id} cannot be run or
 * does not answer within two seconds, the peer is refused (fail closed).
 *
 * <p>The socket file's mode (0660, group {@code hairpin}) already keeps others out; this check is the
 * second lock, and the one that holds if the file's mode or group is ever wrong.
 */
final class PeerPolicy {

    private static final Path ID = Path.of("/usr/bin/id");

    private final String groupName;
    private final UserPrincipal root;
    /** Null when the group does not exist: then only root is let in. */
    private final GroupPrincipal group;

    PeerPolicy(String groupName, UserPrincipalLookupService lookup) throws IOException {
        this.groupName = groupName;
        this.root = lookup.lookupPrincipalByName("0"); // principals compare by uid, whatever the name
        GroupPrincipal g;
        try {
            g = lookup.lookupPrincipalByGroupName(groupName);
        } catch (UserPrincipalNotFoundException e) {
            g = null;
        }
        this.group = g;
    }

    String groupName() {
        return groupName;
    }

    /** The group principal, or null when the group does not exist. */
    GroupPrincipal group() {
        return group;
    }

    boolean allows(UnixDomainPrincipal peer) {
        if (peer.user().equals(root)) {
            return true;
        }
        if (group == null) {
            return false;
        }
        return peer.group().equals(group) || listedInGroup(peer.user().getName());
    }

    /** Whether the account database puts {@code user} (a name, or a uid the JDK could not name) in the group. */
    private boolean listedInGroup(String user) {
        String command = Files.isExecutable(ID) ? ID.toString() : "id";
        Process p = null;
        try {
            p = new ProcessBuilder(command, "-Gn", "--", user)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            p.getOutputStream().close();
            // its few bytes of output fit the pipe, so waiting first cannot deadlock, and a hung NSS cannot hang us
            if (!p.waitFor(2, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return false;
            }
            byte[] out = p.getInputStream().readNBytes(64 * 1024);
            return Arrays.asList(new String(out, StandardCharsets.UTF_8).trim().split("\\s+")).contains(groupName);
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            if (p != null) {
                p.destroyForcibly();
            }
        }
    }
}

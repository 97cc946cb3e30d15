package io.hairpin.control.persist;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.Objects;

/**
 * The running config file, replaced atomically: the new content goes to a temporary file in the
 * same directory, which is written, fsync'ed, renamed over the target, and then the directory is
 * fsync'ed so the rename itself is durable. rename(2) within one file system is atomic, so a crash
 * at any moment leaves the target either wholly old or wholly new, never a mix; after a power loss
 * the fsyncs make it the new one once {@link #store} has returned.
 *
 * <p>The new file keeps the old one's permission bits and group (a config readable by the
 * {@code hairpin} group stays so). When the target is a symbolic link, the file it points to is
 * replaced and the link kept. A temporary file a crash left behind is removed by the next store.
 * Not safe for several processes storing the same file at once (one appliance owns its config);
 * calls within one process are serialised.
 */
public final class ConfigStore {
    private static final String TEMP_SUFFIX = ".tmp";

    private final Path target;

    public ConfigStore(Path target) {
        this.target = Objects.requireNonNull(target, "target").toAbsolutePath().normalize();
        if (this.target.getFileName() == null) {
            throw new IllegalArgumentException("not a file path: " + target);
        }
    }

    /** The file this store writes (as given, absolute). */
    public Path path() {
        return target;
    }

    /** The stored bytes. */
    public byte[] read() throws IOException {
        return Files.readAllBytes(target);
    }

    /**
     * Replaces the file's content atomically and durably. On failure the file is untouched, no
     * temporary file is left, and the exception's message is one sentence naming the file and why.
     */
    public synchronized void store(byte[] content) throws ConfigStoreException {
        Path file = resolved();
        Path dir = file.getParent();
        removeStaleTemporaries(dir, file);
        Path tmp;
        try {
            tmp = Files.createTempFile(dir, tempPrefix(file), TEMP_SUFFIX);
        } catch (IOException e) {
            throw failure(file, "cannot create a file in " + dir, e);
        }
        boolean renamed = false;
        try {
            copyOwnership(file, tmp);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            } catch (IOException e) {
                throw failure(file, "writing " + tmp.getFileName() + " failed", e);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                renamed = true;
            } catch (IOException e) {
                throw failure(file, "renaming the new file over it failed", e);
            }
            fsyncDirectory(dir, file);
        } finally {
            if (!renamed) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // The next store removes it.
                }
            }
        }
    }

    /** The file to replace: the target, or what it links to. */
    private Path resolved() throws ConfigStoreException {
        Path p = target;
        try {
            for (int hops = 0; Files.isSymbolicLink(p); hops++) {
                if (hops > 40) {
                    throw new ConfigStoreException("Cannot store the config " + target + ": too many symbolic links.");
                }
                Path link = Files.readSymbolicLink(p);
                p = p.resolveSibling(link).normalize();
            }
        } catch (IOException e) {
            throw failure(target, "cannot follow its symbolic link", e);
        }
        return p;
    }

    private static String tempPrefix(Path file) {
        return "." + file.getFileName() + ".";
    }

    /** Removes the temporary files an earlier store left when its process died mid-write. */
    private static void removeStaleTemporaries(Path dir, Path file) {
        String glob = tempPrefix(file).replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?")
                .replace("[", "\\[").replace("{", "\\{") + "*" + TEMP_SUFFIX;
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(dir, glob)) {
            for (Path p : stale) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // Creating the new temporary file will report a directory we cannot use.
        }
    }

    /** Gives the new file the old one's permissions and group; a new target gets the umask-free 0600. */
    private static void copyOwnership(Path file, Path tmp) throws ConfigStoreException {
        PosixFileAttributeView view = Files.getFileAttributeView(tmp, PosixFileAttributeView.class);
        if (view == null) {
            return;
        }
        PosixFileAttributes old;
        try {
            old = Files.readAttributes(file, PosixFileAttributes.class);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw failure(file, "cannot read its permissions", e);
        }
        try {
            view.setPermissions(old.permissions());
        } catch (IOException e) {
            throw failure(file, "cannot give the new file its permissions", e);
        }
        GroupPrincipal group = old.group();
        try {
            if (!group.equals(Files.readAttributes(tmp, PosixFileAttributes.class).group())) {
                view.setGroup(group);
            }
        } catch (IOException e) {
            // Only root or a member may change the group; the permissions still hold.
        }
    }

    private static void fsyncDirectory(Path dir, Path file) throws ConfigStoreException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            throw failure(file, "the new file is in place but syncing " + dir + " failed, so it may not survive a power loss", e);
        }
    }

    private static ConfigStoreException failure(Path file, String what, IOException e) {
        return new ConfigStoreException("Cannot store the config " + file + ": " + what + " (" + reason(e) + ").", e);
    }

    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason().toLowerCase(java.util.Locale.ROOT);
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}

package dev.sparring.backend.cuda;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Finds and loads the CUDA libraries (driver, cuBLAS, cuDNN) for the FFM bindings, and explains in one message
 * what was searched, what was found and what to install when that fails.
 *
 * <p>Search order for one library:
 * <ol>
 *   <li>its override variable ({@code SPARRING_LIBCUDA}, {@code SPARRING_LIBCUBLAS}, {@code SPARRING_LIBCUDNN}):
 *       a full path; when set, nothing else is tried;</li>
 *   <li>the system loader by soname, newest first ({@code libcublas.so.13} then {@code .12}): this covers
 *       LD_LIBRARY_PATH, ld.so.cache and the default folders, as for any CUDA program;</li>
 *   <li>folders: $CUDA_HOME/lib64, /usr/local/cuda/lib64, and the NVIDIA pip wheels that PyTorch installs,
 *       {@code <site-packages>/nvidia/*}{@code /lib} for every Python site folder we can find.</li>
 * </ol>
 * Libraries are opened with {@code dlopen(RTLD_NOW | RTLD_GLOBAL)} through FFM (the JDK's own library lookup
 * opens them RTLD_LOCAL and does not report {@code dlerror}). That matters for cuDNN 9, whose
 * {@code libcudnn.so.9} is a shim that dlopens its sub-libraries ({@code libcudnn_graph.so.9},
 * {@code libcudnn_ops.so.9}, {@code libcudnn_cnn.so.9}, ...) by soname: when cuDNN is found in a folder that the
 * system loader does not search (a pip wheel), we first open those sub-libraries by full path, so that the
 * shim's later dlopen finds them already loaded. cuBLAS's {@code libcublasLt} is preloaded the same way.
 */
public final class NativeLibraries {
    private NativeLibraries() { }

    /** What to look for: a display name, the override variable, sonames newest first, and install advice. */
    public record Spec(String name, String envVar, List<String> sonames, Map<String, List<String>> companions,
                       String install) { }

    public static final Spec CUDA = new Spec("CUDA driver", "SPARRING_LIBCUDA",
            List.of("libcuda.so.1"), Map.of(),
            "install the NVIDIA driver, version 580 or newer (CUDA 13), from your distribution or nvidia.com; "
                    + "in a container, run it with the NVIDIA container toolkit (--gpus all)");

    public static final Spec CUBLAS = new Spec("cuBLAS", "SPARRING_LIBCUBLAS",
            List.of("libcublas.so.13", "libcublas.so.12"),
            Map.of("libcublas.so.13", List.of("libcublasLt.so.13"), "libcublas.so.12", List.of("libcublasLt.so.12")),
            "pip install nvidia-cublas-cu12 (PyTorch's CUDA wheels bring it), or install the CUDA toolkit's cuBLAS; "
                    + "or set SPARRING_LIBCUBLAS to the full path of libcublas.so.13 or .12");

    public static final Spec CUDNN = new Spec("cuDNN", "SPARRING_LIBCUDNN",
            List.of("libcudnn.so.9", "libcudnn.so.8"),
            Map.of("libcudnn.so.9", List.of("libcudnn_graph.so.9", "libcudnn_engines_precompiled.so.9",
                            "libcudnn_engines_runtime_compiled.so.9", "libcudnn_heuristic.so.9", "libcudnn_ops.so.9",
                            "libcudnn_cnn.so.9", "libcudnn_adv.so.9"),
                    "libcudnn.so.8", List.of("libcudnn_ops_infer.so.8", "libcudnn_ops_train.so.8",
                            "libcudnn_cnn_infer.so.8", "libcudnn_cnn_train.so.8")),
            "pip install nvidia-cudnn-cu12 (PyTorch's CUDA wheels bring cuDNN 9), or install cuDNN 9 for your CUDA; "
                    + "or set SPARRING_LIBCUDNN to the full path of libcudnn.so.9");

    /**
     * cuSOLVER, optional: only the EIGEN method of {@code sqrtTrace} (the FID's square-root trace) needs it, and a
     * missing one is reported when that method is asked for. It needs cuBLAS and cuSPARSE (and nvJitLink) of the
     * same CUDA beside it or on the loader's path.
     */
    public static final Spec CUSOLVER = new Spec("cuSOLVER", "SPARRING_LIBCUSOLVER",
            List.of("libcusolver.so.12", "libcusolver.so.11"), Map.of(),
            "pip install nvidia-cusolver-cu12 (PyTorch's CUDA wheels bring it), or install the CUDA toolkit's cuSOLVER; "
                    + "or set SPARRING_LIBCUSOLVER to the full path of libcusolver.so.12 or .11");

    /**
     * Where to search: the environment (for the override variables), the folders to try after the system loader for
     * each library (computed only when needed: finding the Python site folders may start python3), and whether to
     * ask the system loader at all. {@link #standard()} is the real one; tests inject their own.
     */
    public record Search(Map<String, String> env, Function<Spec, List<Path>> dirs, boolean systemLoader) {
        public Search {
            env = Map.copyOf(env);
        }

        /** The same folders for every library. */
        public Search(Map<String, String> env, List<Path> dirs, boolean systemLoader) {
            this(env, spec -> List.copyOf(dirs), systemLoader);
        }

        private static Search standard;

        /**
         * The process environment; for the driver the system library folders (it never comes from a pip wheel), for
         * the others the CUDA folders and the Python site folders (computed once, when first needed).
         */
        public static synchronized Search standard() {
            if (standard == null) {
                Map<String, String> env = System.getenv();
                AtomicReference<List<Path>> libs = new AtomicReference<>();
                standard = new Search(env, spec -> {
                    if (spec.equals(CUDA)) return DRIVER_DIRS;
                    synchronized (libs) {
                        if (libs.get() == null) libs.set(standardDirs(env));
                        return libs.get();
                    }
                }, true);
            }
            return standard;
        }
    }

    /** Where distributions and WSL put libcuda.so.1 (normally also known to ld.so.cache). */
    static final List<Path> DRIVER_DIRS = List.of(Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/usr/lib/aarch64-linux-gnu"),
            Path.of("/usr/lib64"), Path.of("/usr/lib/wsl/lib"));

    /** A loaded library: where it came from, how, and its symbols. */
    public static final class Library {
        private final Spec spec;
        private final String file;           // soname or path that was opened
        private final Path path;             // resolved file, when known
        private final String how;            // "SPARRING_LIBCUDNN", "system loader", "folder /x/y"
        private final List<String> companions;
        private final SymbolLookup lookup;

        Library(Spec spec, String file, Path path, String how, List<String> companions, SymbolLookup lookup) {
            this.spec = spec;
            this.file = file;
            this.path = path;
            this.how = how;
            this.companions = List.copyOf(companions);
            this.lookup = lookup;
        }

        public Spec spec() { return spec; }

        /** The soname or path that was opened. */
        public String file() { return file; }

        /** The file actually mapped, when it could be determined (from /proc/self/maps for soname loads). */
        public Optional<Path> path() { return Optional.ofNullable(path); }

        public String how() { return how; }

        /** One line per preloaded companion library: "name: path" or "name: not loaded (reason)". */
        public List<String> companions() { return companions; }

        /** A downcall handle for {@code symbol}; a missing symbol fails here, naming the library and the symbol. */
        public MethodHandle bind(String symbol, FunctionDescriptor fd) {
            MemorySegment addr = lookup.find(symbol).orElseThrow(() -> new CudaException(spec.name(),
                    spec.name() + " library " + describe() + " has no symbol " + symbol + ": it is older than Sparring needs; "
                            + spec.install()));
            return Linker.nativeLinker().downcallHandle(addr, fd);
        }

        /** A downcall handle for {@code symbol} when the library exports it: for entry points of newer versions only. */
        public Optional<MethodHandle> bindOptional(String symbol, FunctionDescriptor fd) {
            return lookup.find(symbol).map(addr -> Linker.nativeLinker().downcallHandle(addr, fd));
        }

        /**
         * A downcall handle for the first of {@code symbols} that the library exports (newest name first), for entry
         * points that drivers renamed: a driver older than the new name still has the old one.
         */
        public MethodHandle bindFirst(List<String> symbols, FunctionDescriptor fd) {
            for (String s : symbols) {
                Optional<MemorySegment> addr = lookup.find(s);
                if (addr.isPresent()) return Linker.nativeLinker().downcallHandle(addr.get(), fd);
            }
            throw new CudaException(spec.name(), spec.name() + " library " + describe() + " has none of the symbols "
                    + String.join(", ", symbols) + ": it is older than Sparring needs; " + spec.install());
        }

        /** "path (how)" for messages and the doctor report. */
        public String describe() {
            return (path != null ? path.toString() : file) + " (" + how + ")";
        }
    }

    /** The outcome of a search: a library, or the one message explaining why there is none. */
    public record Located(Library library, String message) {
        public boolean found() { return library != null; }
    }

    private static final Map<Spec, Located> standardResults = new java.util.concurrent.ConcurrentHashMap<>();

    /** Searches with {@link Search#standard()}, once per library for the life of the process. */
    public static Located locate(Spec spec) {
        return standardResults.computeIfAbsent(spec, s -> locate(s, Search.standard()));
    }

    /** The library, or a {@link CudaException} with the search report. */
    public static Library require(Spec spec) {
        Located l = locate(spec);
        if (!l.found()) throw new CudaException(spec.name(), l.message());
        return l.library();
    }

    /** Searches for {@code spec} with the given search settings. Never throws for a missing library. */
    public static Located locate(Spec spec, Search search) {
        List<String> searched = new ArrayList<>();
        List<String> seen = new ArrayList<>();       // files that exist but failed to load
        String override = search.env().get(spec.envVar());
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override).toAbsolutePath().normalize();   // reports show where, whatever the working folder
            if (!Files.isRegularFile(p)) {
                return new Located(null, spec.name() + " not found: " + spec.envVar() + "=" + override
                        + " is not a file. Point " + spec.envVar() + " at the library file, or unset it to search the usual places.");
            }
            Opened o = open(p.toString());
            if (o.lookup == null) {
                return new Located(null, spec.name() + " could not be loaded from " + spec.envVar() + "=" + override + ": " + o.error
                        + ". " + "Fix or unset " + spec.envVar() + "; " + spec.install());
            }
            List<String> comp = preloadCompanions(spec, p.getFileName().toString(), p.getParent());
            return new Located(new Library(spec, p.toString(), p, spec.envVar(), comp, o.lookup), null);
        }
        searched.add("$" + spec.envVar() + ": unset");

        if (search.systemLoader()) {
            List<String> errors = new ArrayList<>();
            for (String soname : spec.sonames()) {
                Opened o = open(soname);
                if (o.lookup != null) {
                    Path mapped = mappedPath(soname);
                    List<String> comp = mapped != null ? preloadCompanions(spec, soname, mapped.getParent()) : List.of();
                    return new Located(new Library(spec, soname, mapped, "system loader", comp, o.lookup), null);
                }
                errors.add(o.error);
            }
            searched.add("system loader (LD_LIBRARY_PATH=" + search.env().getOrDefault("LD_LIBRARY_PATH", "unset")
                    + ", ld.so.cache) for " + String.join(", ", spec.sonames()) + ": " + String.join("; ", errors));
        }

        List<String> missingDirs = new ArrayList<>();
        List<String> emptyDirs = new ArrayList<>();
        for (Path dir : search.dirs().apply(spec)) {
            if (!Files.isDirectory(dir)) { missingDirs.add(dir.toString()); continue; }
            boolean any = false;
            for (String soname : spec.sonames()) {
                Path p = dir.resolve(soname);
                if (!Files.exists(p)) continue;
                any = true;
                List<String> comp = preloadCompanions(spec, soname, dir);
                Opened o = open(p.toString());
                if (o.lookup != null) return new Located(new Library(spec, p.toString(), p, "folder " + dir, comp, o.lookup), null);
                seen.add(p + " exists but failed to load: " + o.error);
            }
            if (!any) emptyDirs.add(dir.toString());
        }
        if (!emptyDirs.isEmpty()) searched.add("folders without " + String.join(" or ", spec.sonames()) + ": " + String.join(", ", emptyDirs));
        if (!missingDirs.isEmpty()) searched.add("folders that do not exist: " + String.join(", ", missingDirs));

        StringBuilder sb = new StringBuilder(spec.name()).append(" not found. Searched:");
        for (String s : searched) sb.append("\n  ").append(s);
        sb.append("\nFound: ");
        if (seen.isEmpty()) sb.append("no usable file.");
        else for (String s : seen) sb.append("\n  ").append(s);
        sb.append("\nTo fix: ").append(spec.install()).append('.');
        return new Located(null, sb.toString());
    }

    // ---------------------------------------------------------------- dlopen through FFM

    private record Opened(SymbolLookup lookup, String error) { }

    private static final int RTLD_NOW = 2, RTLD_GLOBAL = 0x100;
    private static final MethodHandle DLOPEN, DLSYM, DLERROR;

    static {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        Optional<MemorySegment> open = libc.find("dlopen"), sym = libc.find("dlsym"), err = libc.find("dlerror");
        if (open.isPresent() && sym.isPresent() && err.isPresent()) {
            DLOPEN = linker.downcallHandle(open.get(), FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
            DLSYM = linker.downcallHandle(sym.get(), FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
            DLERROR = linker.downcallHandle(err.get(), FunctionDescriptor.of(ADDRESS));
        } else {
            DLOPEN = DLSYM = DLERROR = null;
        }
    }

    /** Opens a library by path or soname with RTLD_NOW | RTLD_GLOBAL; returns the dlerror text on failure. */
    private static Opened open(String file) {
        if (DLOPEN == null) {
            // No dlopen in the C library (not glibc): the JDK's lookup, RTLD_LOCAL, without dlerror detail.
            try {
                SymbolLookup l = file.contains("/") ? SymbolLookup.libraryLookup(Path.of(file), Arena.global())
                        : SymbolLookup.libraryLookup(file, Arena.global());
                return new Opened(l, null);
            } catch (IllegalArgumentException e) {
                return new Opened(null, e.getMessage());
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = (MemorySegment) DLOPEN.invokeExact(arena.allocateFrom(file), RTLD_NOW | RTLD_GLOBAL);
            if (handle.equals(MemorySegment.NULL)) {
                MemorySegment e = (MemorySegment) DLERROR.invokeExact();
                String msg = e.equals(MemorySegment.NULL) ? "dlopen failed" : e.reinterpret(4096).getString(0);
                return new Opened(null, msg);
            }
            // The handle is never closed: CUDA libraries stay loaded for the life of the process.
            SymbolLookup lookup = name -> {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment p = (MemorySegment) DLSYM.invokeExact(handle, a.allocateFrom(name));
                    return p.equals(MemorySegment.NULL) ? Optional.empty() : Optional.of(p);
                } catch (Throwable t) {
                    throw new IllegalStateException("dlsym(" + name + ") failed", t);
                }
            };
            return new Opened(lookup, null);
        } catch (Throwable t) {
            return new Opened(null, "dlopen failed: " + t);
        }
    }

    /** Preloads the companions of {@code soname} found in {@code dir}; one report line each. Failures are not fatal. */
    private static List<String> preloadCompanions(Spec spec, String soname, Path dir) {
        List<String> names = spec.companions().getOrDefault(soname, List.of());
        List<String> lines = new ArrayList<>();
        if (dir == null) return lines;
        for (String c : names) {
            Path p = dir.resolve(c);
            if (!Files.exists(p)) continue;
            Opened o = open(p.toString());
            lines.add(c + ": " + (o.lookup != null ? p.toString() : "not loaded (" + o.error + ")"));
        }
        return lines;
    }

    /**
     * The file that the loader mapped for {@code soname}, from /proc/self/maps: a file named {@code soname} or
     * {@code soname.*} (libcudnn.so.9.10.2), else one of the same stem (libcuda.so.580.65.06 for libcuda.so.1).
     */
    static Path mappedPath(String soname) {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) return null;
        int so = soname.indexOf(".so");
        String stem = so < 0 ? soname : soname.substring(0, so + 3);
        Path byStem = null;
        try {
            for (String line : Files.readAllLines(maps)) {
                int slash = line.indexOf('/');
                if (slash < 0) continue;
                Path p = Path.of(line.substring(slash).trim());
                Path file = p.getFileName();
                if (file == null) continue;
                String name = file.toString();
                if (name.equals(soname) || name.startsWith(soname + ".")) return p;
                if (byStem == null && (name.equals(stem) || name.startsWith(stem + "."))) byStem = p;
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return byStem;
    }

    // ---------------------------------------------------------------- standard folders

    static List<Path> standardDirs(Map<String, String> env) {
        Set<Path> dirs = new LinkedHashSet<>();
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String v = env.get(var);
            if (v != null && !v.isBlank()) dirs.add(Path.of(v, "lib64"));
        }
        dirs.add(Path.of("/usr/local/cuda/lib64"));
        for (Path site : pythonSiteDirs(env)) {
            Path nvidia = site.resolve("nvidia");
            if (!Files.isDirectory(nvidia)) continue;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(nvidia)) {
                List<Path> libs = new ArrayList<>();
                for (Path pkg : ds) if (Files.isDirectory(pkg.resolve("lib"))) libs.add(pkg.resolve("lib"));
                libs.sort(null);
                dirs.addAll(libs);
            } catch (IOException | RuntimeException ignored) {
                // an unreadable site folder is simply not searched
            }
        }
        return new ArrayList<>(dirs);
    }

    /** Python site-packages/dist-packages folders: the usual places, virtualenv/conda, and python3's own list. */
    static List<Path> pythonSiteDirs(Map<String, String> env) {
        Set<Path> sites = new LinkedHashSet<>();
        List<Path> roots = new ArrayList<>(List.of(Path.of("/usr/lib"), Path.of("/usr/local/lib"), Path.of("/usr/lib64")));
        String home = env.get("HOME");
        if (home != null) roots.add(Path.of(home, ".local", "lib"));
        for (String var : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String v = env.get(var);
            if (v != null && !v.isBlank()) roots.add(Path.of(v, "lib"));
        }
        for (Path root : roots) {
            if (!Files.isDirectory(root)) continue;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, "python3*")) {
                for (Path py : ds) {
                    for (String kind : List.of("site-packages", "dist-packages")) {
                        Path s = py.resolve(kind);
                        if (Files.isDirectory(s)) sites.add(s);
                    }
                }
            } catch (IOException | RuntimeException ignored) {
                // not searched
            }
        }
        sites.addAll(python3SitePackages());
        return new ArrayList<>(sites);
    }

    /** {@code python3 -c 'import site; print(site.getsitepackages())'}, when python3 is on PATH; empty otherwise. */
    private static List<Path> python3SitePackages() {
        List<Path> out = new ArrayList<>();
        try {
            Process p = new ProcessBuilder("python3", "-c",
                    "import site\nfor s in site.getsitepackages() + [site.getusersitepackages()]: print(s)")
                    .redirectErrorStream(true).start();
            p.getOutputStream().close();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return out;
            }
            if (p.exitValue() != 0) return out;
            for (String line : new String(p.getInputStream().readAllBytes()).split("\n")) {
                String s = line.trim();
                if (s.startsWith("/") && Files.isDirectory(Path.of(s))) out.add(Path.of(s));
            }
        } catch (IOException | RuntimeException e) {
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }
}

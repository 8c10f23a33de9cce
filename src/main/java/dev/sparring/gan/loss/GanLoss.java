package dev.sparring.gan.loss;

import dev.sparring.backend.CompiledLoss;
import dev.sparring.backend.LossCurvature;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A GAN loss in Sparring's one convention (its definition: the backends run its {@link #compiled()} programs, the
 * trainer takes a {@code train.TrainLoss} made from it): the critic outputs a raw scalar t per sample and
 * <b>maximises E_real phi(t) + E_fake psi(t)</b>; the generator <b>minimises E_fake beta(t)</b>.
 * The critic scores real samples high (psi' &lt; 0 where the critic can be optimal; D(x) = sigmoid(t) is
 * the probability that x is real). The backends report L_D = -(mean phi(t_real) + mean psi(t_fake)) and
 * L_G = mean beta(t_fake).
 *
 * <p>phi, psi and beta are functions of the raw critic output t. A loss whose formulas need t in a domain
 * (0, 1) or [-1, 1] names an output activation {@code out} (sigmoid, tanh, the f-GAN g_f); it is folded
 * into the formulas (phi(out(t)), ...) and simplified, so the kernel always sees the raw t and never a
 * separate activation. The critic's range Omega is where phi' psi' &lt; 0 (where the critic can be
 * optimal for some likelihood ratio); outside it both derivatives push t back, which {@link DesignCheck}
 * verifies. See docs/losses.md.
 *
 * <p>Instances are immutable; {@link #compiled()} and {@link #check()} are computed once, on first use.
 */
public final class GanLoss {
    private static final Pattern NAMED = Pattern.compile("\\s*[A-Za-z][A-Za-z0-9_-]*\\s*(:.*)?", Pattern.DOTALL);

    private final String name;
    private final String spec;
    private final String description;
    private final String reference;
    private final String range;
    private final Formula.Spec source;
    private final Map<String, Double> params;
    private final Boolean lipschitz;
    private final Expr phi, psi, beta, dphi, dpsi, dbeta;
    private CompiledLoss compiled;
    private LossCurvature curvature;
    private CheckReport report;

    /**
     * @param name        catalogue name, or "formula"
     * @param spec        text that {@link #parse} turns back into this loss
     * @param range       how the critic's range is enforced, in words (null: derived by the checker)
     * @param source      the formulas as written; beta null means beta = psi, out null means no activation
     * @param lipschitz   whether the critic must be Lipschitz (an IPM design, as WGAN); null: the checker's verdict
     */
    GanLoss(String name, String spec, String description, String reference, String range,
            Formula.Spec source, Boolean lipschitz) {
        this.name = name;
        this.spec = spec;
        this.description = description;
        this.reference = reference;
        this.range = range;
        this.source = source;
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(source.params()));
        this.lipschitz = lipschitz;
        this.phi = build(source.phi(), source);
        this.psi = build(source.psi(), source);
        this.beta = source.beta() == null ? psi : build(source.beta(), source);
        this.dphi = Derivative.of(phi);
        this.dpsi = Derivative.of(psi);
        this.dbeta = source.beta() == null ? dpsi : Derivative.of(beta);
    }

    /** Binds the parameters, folds the output activation, simplifies. */
    private static Expr build(Expr e, Formula.Spec s) {
        Expr bound = e.bind(s.params());
        if (s.out() != null) bound = bound.substitute(s.out().bind(s.params()));
        return Simplify.simplify(bound);
    }

    // ------------------------------------------------------------------ construction

    /**
     * Reads a {@code --loss} value: either a catalogue name with optional parameters, {@code NAME},
     * {@code NAME:a=0,b=1,c=1} or positional {@code NAME:0,1,1} (in the order {@code sparring loss list} shows),
     * or a formula specification {@code "phi=...; psi=...; beta=..."} (beta optional, defaults to psi; optional
     * {@code out=ACTIVATION(t)} and parameters {@code name=value}).
     *
     * @throws FormulaException with the column of the error
     */
    public static GanLoss parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new FormulaException(spec == null ? "" : spec, 0, "empty loss; give a name (sparring loss list) or phi=...; psi=...");
        }
        if (NAMED.matcher(spec).matches()) return parseNamed(spec);
        return formula(spec);
    }

    /** A user-defined loss from a formula specification (see {@link #parse}). */
    public static GanLoss formula(String spec) {
        Formula.Spec s = Formula.parseSpec(spec);
        return new GanLoss("formula", spec.strip(), "user-defined loss", "-", null, s, null);
    }

    /** A user-defined loss from its three formulas; {@code beta} may be null (beta = psi). */
    public static GanLoss formula(String phi, String psi, String beta) {
        return formula("phi=" + phi + "; psi=" + psi + (beta == null ? "" : "; beta=" + beta));
    }

    private static GanLoss parseNamed(String spec) {
        int colon = spec.indexOf(':');
        String name = (colon < 0 ? spec : spec.substring(0, colon)).strip().toLowerCase(java.util.Locale.ROOT);
        GanLosses.Builtin b = GanLosses.find(name);
        if (b == null) {
            int nameAt = 0;
            while (nameAt < spec.length() && Character.isWhitespace(spec.charAt(nameAt))) nameAt++;
            throw new FormulaException(spec, nameAt, "unknown loss '" + name + "'; built-ins: "
                    + String.join(", ", GanLosses.names()) + " (or a formula: \"phi=...; psi=...; beta=...\")");
        }
        Map<String, Double> values = new LinkedHashMap<>();
        for (GanLosses.Param p : b.params()) values.put(p.name(), p.defaultValue());
        if (colon >= 0) {
            List<int[]> items = splitTopLevel(spec, colon + 1, spec.length());
            boolean keyed = false;
            int position = 0;
            for (int[] it : items) {
                String text = spec.substring(it[0], it[1]);
                if (text.isBlank()) throw new FormulaException(spec, it[0], "empty parameter");
                int eq = text.indexOf('=');
                if (eq >= 0) {
                    keyed = true;
                    String key = text.substring(0, eq).strip();
                    int keyAt = it[0] + text.indexOf(key.isEmpty() ? "=" : key);
                    if (!values.containsKey(key)) {
                        throw new FormulaException(spec, keyAt, "loss '" + b.name() + "' has no parameter '" + key + "'"
                                + (b.params().isEmpty() ? " (it takes none)" : "; parameters: " + paramNames(b)));
                    }
                    values.put(key, Formula.parseConstant(spec, it[0] + eq + 1, it[1], "parameter " + key));
                } else {
                    if (keyed) throw new FormulaException(spec, it[0], "positional parameter after a named one; name it (a=...)");
                    if (position >= b.params().size()) {
                        throw new FormulaException(spec, it[0], "loss '" + b.name() + "' takes " + b.params().size()
                                + " parameter" + (b.params().size() == 1 ? "" : "s") + (b.params().isEmpty() ? "" : " (" + paramNames(b) + ")"));
                    }
                    String key = b.params().get(position++).name();
                    values.put(key, Formula.parseConstant(spec, it[0], it[1], "parameter " + key));
                }
            }
        }
        String invalid = b.validate().apply(values);
        if (invalid != null) throw new FormulaException(spec, colon < 0 ? 0 : colon + 1, invalid);
        return b.create(values);
    }

    private static String paramNames(GanLosses.Builtin b) {
        List<String> n = new ArrayList<>();
        for (GanLosses.Param p : b.params()) n.add(p.name());
        return String.join(", ", n);
    }

    /** [from, to) ranges of the comma-separated items of s[from, to), commas inside parentheses ignored. */
    private static List<int[]> splitTopLevel(String s, int from, int to) {
        List<int[]> out = new ArrayList<>();
        int depth = 0, start = from;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (c == ',' && depth == 0) {
                out.add(new int[] {start, i});
                start = i + 1;
            }
        }
        out.add(new int[] {start, to});
        return out;
    }

    // ------------------------------------------------------------------ accessors

    /** Catalogue name ("minimax", "lsgan", ...) or "formula". */
    public String name() { return name; }

    /** A specification that {@link #parse} turns back into this loss ({@code lsgan:a=0,b=1,c=1}). */
    public String spec() { return spec; }

    public String description() { return description; }

    /** Literature reference ("-" for a formula loss). */
    public String reference() { return reference; }

    /** How the critic's range is enforced, in words; for a formula loss, what the checker found. */
    public String range() { return range != null ? range : check().rangeText(); }

    /** Parameter values, in declaration order. */
    public Map<String, Double> params() { return params; }

    /** The formulas as written (parameters unbound, activation not folded). */
    public Formula.Spec source() { return source; }

    /**
     * Whether the design is an integral probability metric whose critic must be Lipschitz, as WGAN's: such a loss
     * trains with WGAN's recipe (RMSProp, weight clipping, several critic steps), any other with DCGAN's. A built-in
     * says so; for a formula loss it is the checker's verdict (an IPM design).
     */
    public boolean lipschitzCritic() { return lipschitz != null ? lipschitz : check().kind() == CheckReport.Kind.IPM; }

    /** phi(t), raw t, parameters bound, activation folded, simplified. */
    public Expr phi() { return phi; }

    public Expr psi() { return psi; }

    public Expr beta() { return beta; }

    public Expr dphi() { return dphi; }

    public Expr dpsi() { return dpsi; }

    public Expr dbeta() { return dbeta; }

    /** The six programs the backends run (compiled once). */
    public synchronized CompiledLoss compiled() {
        if (compiled == null) {
            compiled = new CompiledLoss(spec,
                    Compile.program(phi, "phi of " + spec), Compile.program(dphi, "phi' of " + spec),
                    Compile.program(psi, "psi of " + spec), Compile.program(dpsi, "psi' of " + spec),
                    Compile.program(beta, "beta of " + spec), Compile.program(dbeta, "beta' of " + spec));
        }
        return compiled;
    }

    /** φ'', ψ'', β'': the derivatives of φ', ψ', β' ({@link Derivative}), compiled once, for second-order passes. */
    public synchronized LossCurvature curvature() {
        if (curvature == null) {
            curvature = new LossCurvature(spec,
                    Compile.program(Derivative.of(dphi), "phi'' of " + spec), Compile.program(Derivative.of(dpsi), "psi'' of " + spec),
                    Compile.program(Derivative.of(dbeta), "beta'' of " + spec));
        }
        return curvature;
    }

    /** The design check (computed once): verdict, divergence, equilibrium values. */
    public synchronized CheckReport check() {
        if (report == null) report = DesignCheck.check(this);
        return report;
    }

    /**
     * The critic loss L_D* = -(phi(t*) + psi(t*)) at the equilibrium p = q, where t* = omega(1) is the
     * optimal critic output (2 ln 2 for the minimax GAN). With an optimal critic, L_D* - L_D estimates the
     * divergence D_f(Q||P) of {@link CheckReport#divergence()}. NaN when the design fails the check.
     */
    public double equilibriumCriticLoss() { return check().criticLossAtEquilibrium(); }

    /**
     * The generator loss L_G* = beta(t*) at p = q. NaN where it is undetermined: for designs whose critic is
     * indifferent at p = q (WGAN, hinge, total variation: any t is optimal there) or that fail the check.
     */
    public double equilibriumGeneratorLoss() { return check().generatorLossAtEquilibrium(); }

    /**
     * The lowest critic loss L_D any critic can reach, -(sup phi + sup psi): the loss of a critic that tells real and
     * fake samples apart perfectly (0 for nsgan, lsgan, hinge). Minus infinity for a critic loss without a lower bound
     * (wgan, most f-GANs); NaN when the design fails the check. See {@link CheckReport#criticLossInfimum()}.
     */
    public double minimumCriticLoss() { return check().criticLossInfimum(); }

    @Override
    public String toString() { return spec; }
}

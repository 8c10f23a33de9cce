package dev.sparring.gan.loss;

import dev.sparring.UserError;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The catalogue of built-in losses. Every entry is a formula specification in the formula language (the same
 * path as a user's {@code --loss "phi=...; psi=..."}), written in Sparring's convention — the critic
 * maximises E_real phi(t) + E_fake psi(t) and scores real samples high, the generator minimises
 * E_fake beta(t) — and in numerically stable forms (softplus, log_sigmoid, expm1 instead of log(sigmoid),
 * log(1+exp), exp-1), so that phi, psi, beta and their derivatives are finite for |t| &lt;= 1e4 wherever the
 * loss is. docs/losses.md derives each one.
 */
public final class GanLosses {
    private GanLosses() { }

    /** A parameter of a built-in: {@code NAME:p1=v1,...} or positional in this order. */
    public record Param(String name, double defaultValue, String meaning) { }

    /**
     * One catalogue entry.
     *
     * @param formulas   the specification, parameters referenced by name (their values are appended)
     * @param divergence what the critic's objective equals at its pointwise optimum
     * @param range      the critic's range Omega and how it is enforced
     * @param lipschitzCritic an IPM design whose critic must be Lipschitz (WGAN): see {@link GanLoss#lipschitzCritic()}
     * @param validate   returns an error message for invalid parameter values, or null
     */
    public record Builtin(String name, String title, String description, List<Param> params, String formulas,
                          String divergence, String range, String reference, boolean lipschitzCritic,
                          Function<Map<String, Double>, String> validate) {

        /** The loss with these parameter values (all parameters present). */
        public GanLoss create(Map<String, Double> values) {
            StringBuilder text = new StringBuilder(formulas);
            StringBuilder spec = new StringBuilder(name);
            String sep = ":";
            for (Param p : params) {
                double v = values.get(p.name());
                text.append("; ").append(p.name()).append('=').append(Print.number(v));
                spec.append(sep).append(p.name()).append('=').append(Print.human(v));
                sep = ",";
            }
            Formula.Spec s = Formula.parseSpec(text.toString());
            return new GanLoss(name, spec.toString(), title + ". " + description, reference, range, s, lipschitzCritic);
        }

        /** The loss with its default parameters. */
        public GanLoss create() {
            Map<String, Double> values = new LinkedHashMap<>();
            for (Param p : params) values.put(p.name(), p.defaultValue());
            return create(values);
        }
    }

    private static final Function<Map<String, Double>, String> ANY = v -> null;

    private static final String GOODFELLOW = "Goodfellow et al., Generative Adversarial Nets, NeurIPS 2014";
    private static final String NOWOZIN = "Nowozin, Cseke & Tomioka, f-GAN: Training Generative Neural Samplers using "
            + "Variational Divergence Minimization, NeurIPS 2016 (Table 2)";
    private static final String BASIOTI = "Basioti & Moustakides, Designing GANs: A Likelihood Ratio Approach, arXiv:2002.00865, 2020";

    private static final List<Builtin> BUILTINS = build();

    /** All built-ins, in catalogue order. */
    public static List<Builtin> builtins() { return BUILTINS; }

    /** The entry named {@code name}, or null. */
    public static Builtin find(String name) {
        for (Builtin b : BUILTINS) if (b.name().equals(name)) return b;
        return null;
    }

    /** The built-in {@code name} with default parameters. */
    public static GanLoss get(String name) {
        Builtin b = find(name);
        if (b == null) throw new UserError("GanLosses.get: unknown loss '" + name + "'; built-ins: " + String.join(", ", names()));
        return b.create();
    }

    public static List<String> names() {
        List<String> n = new ArrayList<>();
        for (Builtin b : BUILTINS) n.add(b.name());
        return n;
    }

    /** A row of the f-GAN table: output activation g_f and conjugate f*, as written and in stable raw form. */
    private record FDivergence(String key, String title, String gf, String fstar, String phi, String psi, String practicalBeta,
                               String divergence, String range) { }

    private static List<Builtin> build() {
        List<Builtin> l = new ArrayList<>();

        l.add(new Builtin("minimax", "Minimax GAN (saturating generator)",
                "D(x) = sigmoid(t) is the probability that x is real; the critic maximises E log D(x) + E log(1 - D(G(z))), "
                        + "the generator minimises E log(1 - D(G(z))), which saturates when the critic rejects its samples",
                List.of(), "phi=-softplus(-t); psi=-softplus(t); beta=-softplus(t)",
                "-log 4 + 2 JSD(P, Q)", "all of R (the sigmoid is folded into softplus)", GOODFELLOW + ", eq. 1", false, ANY));
        l.add(new Builtin("nsgan", "Non-saturating GAN",
                "the minimax critic; the generator minimises -log D(G(z)) = softplus(-t) instead of log(1 - D(G(z)))",
                List.of(), "phi=-softplus(-t); psi=-softplus(t); beta=softplus(-t)",
                "-log 4 + 2 JSD(P, Q)", "all of R", GOODFELLOW + ", section 3", false, ANY));
        l.add(new Builtin("wgan", "Wasserstein GAN (weight clipping)",
                "phi = t, psi = -t, beta = -t; the critic must be Lipschitz (weights clipped to [-c, c]); trained with RMSProp, "
                        + "lr 5e-5, 5 critic steps, c = 0.01",
                List.of(), "phi=t; psi=-t; beta=-t",
                "W1(P, Q) for a 1-Lipschitz critic (an integral probability metric, not an f-divergence)",
                "all of R; bounded only through the Lipschitz constraint (weight clipping)",
                "Arjovsky, Chintala & Bottou, Wasserstein GAN, ICML 2017 (Algorithm 1)", true, ANY));
        l.add(new Builtin("wgan-gp", "Wasserstein GAN with gradient penalty",
                "WGAN's phi, psi and beta; the critic is kept near 1-Lipschitz by the penalty lambda (||grad_x D(x^)|| - 1)^2 "
                        + "at random interpolates x^ of real and fake samples instead of clipping; trained with Adam(beta1 0, "
                        + "beta2 0.9), lr 1e-4, 5 critic steps, lambda = 10 (--gp)",
                List.of(), "phi=t; psi=-t; beta=-t",
                "W1(P, Q) for a 1-Lipschitz critic (an integral probability metric, not an f-divergence)",
                "all of R; bounded only through the gradient penalty",
                "Gulrajani et al., Improved Training of Wasserstein GANs, NeurIPS 2017 (Algorithm 1)", true, ANY));
        l.add(new Builtin("lsgan", "Least-squares GAN",
                "the critic regresses real samples to b and fakes to a; the generator pulls fakes to c "
                        + "(1/2 factors as in the paper); a=-1,b=1,c=0 minimises a Pearson chi2, a=0,b=1,c=1 is the common 0-1 coding",
                List.of(new Param("a", 0, "critic target for fake samples"), new Param("b", 1, "critic target for real samples"),
                        new Param("c", 1, "the output the generator wants for its samples")),
                "phi=-(t - b)^2/2; psi=-(t - a)^2/2; beta=(t - c)^2/2",
                "-(b-a)^2/8 (2 - Delta(P, Q)), Delta = sum (p-q)^2/(p+q) the triangular discrimination",
                "(a, b): outside it both derivatives pull t back",
                "Mao et al., Least Squares Generative Adversarial Networks, ICCV 2017", false,
                v -> v.get("a").equals(v.get("b")) ? "lsgan needs a != b (the two targets); got a = b = " + Print.human(v.get("a")) : null));
        l.add(new Builtin("hinge", "Hinge loss",
                "the critic minimises E relu(1 - t(x)) + E relu(1 + t(G(z))); the generator minimises -E t(G(z))",
                List.of(), "phi=-relu(1 - t); psi=-relu(1 + t); beta=-t",
                "-2 + 2 TV(P, Q)", "[-1, 1]: outside it the hinge is flat for one class and pulls t back for the other",
                "Lim & Ye, Geometric GAN, arXiv:1705.02894, 2017; Miyato et al., Spectral Normalization for GANs, ICLR 2018", false, ANY));

        List<FDivergence> fgan = List.of(
                new FDivergence("kl", "Kullback-Leibler", "v", "exp(u - 1)", "t", "-exp(t - 1)", "-t",
                        "KL(P||Q)", "all of R"),
                new FDivergence("rkl", "reverse Kullback-Leibler", "-exp(-v)", "-1 - log(-u)", "-exp(-t)", "1 - t", "exp(-t)",
                        "KL(Q||P)", "all of R (g_f maps onto u < 0)"),
                new FDivergence("pearson", "Pearson chi2", "v", "u^2/4 + u", "t", "-t^2/4 - t", "-t",
                        "Pearson chi2 = sum (p-q)^2/q", "(-2, inf): below -2 both derivatives push t back up"),
                new FDivergence("neyman", "Neyman chi2", "1 - exp(-v)", "2 - 2 sqrt(1 - u)", "-expm1(-t)", "2*expm1(-t/2)", "expm1(-t)",
                        "Neyman chi2 = sum (p-q)^2/p", "all of R (g_f maps onto u < 1)"),
                new FDivergence("hellinger", "squared Hellinger", "1 - exp(-v)", "u/(1 - u)", "-expm1(-t)", "-expm1(t)", "expm1(-t)",
                        "squared Hellinger = sum (sqrt p - sqrt q)^2", "all of R (g_f maps onto u < 1)"),
                new FDivergence("js", "Jensen-Shannon", "log 2 - log(1 + exp(-v))", "-log(2 - exp(u))", "log(2) - softplus(-t)",
                        "log(2) - softplus(t)", "softplus(-t) - log(2)",
                        "2 JSD(P, Q) (the table's f is twice the 1/2-normalised JSD)", "all of R (g_f maps onto u < log 2)"),
                new FDivergence("gan", "GAN", "-log(1 + exp(-v))", "-log(1 - exp(u))", "-softplus(-t)", "-softplus(t)", "softplus(-t)",
                        "-log 4 + 2 JSD(P, Q)", "all of R (g_f maps onto u < 0)"),
                new FDivergence("tv", "total variation", "tanh(v)/2", "u", "tanh(t)/2", "-tanh(t)/2", "-tanh(t)/2",
                        "TV(P, Q) = 1/2 sum |p - q|", "all of R (g_f maps onto |u| < 1/2)"));
        for (FDivergence f : fgan) {
            String common = "f-GAN, " + f.title + ": phi = g_f(t) with g_f(v) = " + f.gf + ", psi = -f*(g_f(t)) with f*(u) = " + f.fstar;
            l.add(new Builtin("fgan-" + f.key, "f-GAN " + f.title + " (practical generator)",
                    common + "; the generator minimises -g_f(t) (the paper's practical choice)",
                    List.of(), "phi=" + f.phi + "; psi=" + f.psi + "; beta=" + f.practicalBeta,
                    f.divergence, f.range, NOWOZIN, false, ANY));
            l.add(new Builtin("fgan-" + f.key + "-sat", "f-GAN " + f.title + " (saturating generator)",
                    common + "; the generator minimises psi (the saddle-point objective)",
                    List.of(), "phi=" + f.phi + "; psi=" + f.psi,
                    f.divergence, f.range, NOWOZIN, false, ANY));
        }

        l.add(new Builtin("lr-tv", "Likelihood-ratio design: total variation",
                "phi(u) = u, psi(u) = -u with u = tanh(t) kept in [-1, 1] by the tanh output (folded: phi = tanh(t))",
                List.of(), "out=tanh(t); phi=t; psi=-t",
                "2 TV(P, Q) = sum |p - q|", "all of R; u = tanh(t) in (-1, 1)", BASIOTI, false, ANY));
        l.add(new Builtin("lr-exp", "Likelihood-ratio design: exponential GAN",
                "phi = -exp(-t), psi = -exp(t) (the paper's phi = -e^t, psi = -e^-t with t -> -t); omega(r) = -log(r)/2",
                List.of(), "phi=-exp(-t); psi=-exp(t)",
                "-2 sum sqrt(p q) = -2 + squared Hellinger", "all of R", BASIOTI, false, ANY));
        l.add(new Builtin("lr-01", "Likelihood-ratio design: (0, 1)-valued critic",
                "phi(u) = log u, psi(u) = log(1 - u) with u = sigmoid(t) in (0, 1) (the paper's phi = log(1 - u), psi = log u "
                        + "with u -> 1 - u); folded and simplified it is the minimax critic",
                List.of(), "out=sigmoid(t); phi=log(t); psi=log(1 - t)",
                "-log 4 + 2 JSD(P, Q)", "all of R; u = sigmoid(t) in (0, 1)", BASIOTI, false, ANY));
        l.add(new Builtin("lr-logistic", "Likelihood-ratio design: logistic critic, r log r generator",
                "the logistic critic (omega(r) = -log r) with the separate generator loss beta(t) = -t (the paper's beta(t) = t "
                        + "with t -> -t): against the optimal critic the generator minimises E_P[r log r] = KL(Q||P)",
                List.of(), "phi=-softplus(-t); psi=-softplus(t); beta=-t",
                "-log 4 + 2 JSD(P, Q)", "all of R", BASIOTI, false, ANY));
        l.add(new Builtin("lr-lsgan", "Likelihood-ratio design: LSGAN from omega(r) = (a + b r)/(1 + r)",
                "omega(r) = (a + b r)/(1 + r) with rho(t) = -2(t - b) gives phi = -(t - a)^2, psi = -(t - b)^2; the separate "
                        + "generator loss beta = (t - a)^2 pulls fakes to the real target (r beta(omega(r)) = (a-b)^2 r^3/(1+r)^2, convex)",
                List.of(new Param("a", 1, "optimal critic output where only real data lies (r = 0)"),
                        new Param("b", 0, "optimal critic output where only generated data lies (r = inf)")),
                "phi=-(t - a)^2; psi=-(t - b)^2; beta=(t - a)^2",
                "-(a-b)^2 sum p q/(p+q)", "between b and a: outside it both derivatives pull t back", BASIOTI, false,
                v -> v.get("a").equals(v.get("b")) ? "lr-lsgan needs a != b; got a = b = " + Print.human(v.get("a")) : null));
        return Collections.unmodifiableList(l);
    }
}

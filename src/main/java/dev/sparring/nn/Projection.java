package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * The projection discriminator of Miyato &amp; Koyama (2018), "cGANs with Projection Discriminator":
 * D(x, y) = ψ(φ(x)) + ⟨E[y], φ(x)⟩, as PyTorch-StudioGAN's {@code d_cond_mtd: "PD"}
 * ({@code adv_output + torch.sum(torch.mul(self.embedding(label), h), 1)}).
 *
 * <p>{@code features} maps x to h (N, ...), φ(x) = h flattened to F = h's size per sample; {@code head} maps h to the
 * unconditional output ψ (N); E (K, F) is the class embedding, named {@code embedding.weight} (nn.Embedding's weight,
 * StudioGAN's name). The labels come as one-hot rows Y (N, K) given per slot before the forward ({@link #labels}), so
 * that E[y] = Y E is one GEMM (a one-hot row picks E's row exactly) and the inner product one {@link Backend#rowDot}:
 * <pre>
 * forward:   h = features(x);  t = head(h) (copied);  e = Y E (N, F);  t += rowDot(e, h)
 * backward:  dh = head.backward(dt) + scaleRows(dt, e);  dE += Yᵀ scaleRows(dt, h);  features.backward(dh)
 * </pre>
 * The state of {@code features} and {@code head} is named under {@code main.} (as the unconditional critic's, one
 * Sequential there), E as {@code embedding.weight}.
 */
public final class Projection extends Layer {
    private final Layer features, head;
    public final int classes, featureSize;
    public final Parameter embedding;                           // E (K, F)
    private final Tensor[] y = new Tensor[Pass.SLOTS];          // per slot: the one-hot labels Y (N, K) of the next forward
    private final Tensor[] h = new Tensor[Pass.SLOTS];          // per slot: φ(x) as features returned it (N, ...)
    private final Tensor[] e = new Tensor[Pass.SLOTS];          // per slot: E[y] = Y E (N, F)
    private final Tensor[] de = new Tensor[Pass.SLOTS];         // per slot: the gradient of e, dt[n] h[n] (N, F)
    private final Views hFlat = new Views(), dhFlat = new Views();   // per slot: h and dh seen as (N, F)

    /**
     * @param features    x to h, the critic's body
     * @param head        h to (N), ψ
     * @param featureSize F, h's size per sample
     * @param classes     K
     */
    public Projection(Backend be, Layer features, Layer head, int featureSize, int classes) {
        super(be);
        if (classes < 1 || featureSize < 1) throw new IllegalArgumentException("Projection: classes and featureSize must be >= 1");
        this.features = features;
        this.head = head;
        this.classes = classes;
        this.featureSize = featureSize;
        this.embedding = param("weight", classes, featureSize);
    }

    /** Sets the one-hot labels Y (N, K) of the next forward in {@code pass}'s slot; read again by its backward. */
    public void labels(Pass pass, Tensor onehot) {
        if (onehot.rank() != 2 || onehot.dim(1) != classes) throw badInput("Projection labels", onehot, "(N, " + classes + ")");
        y[pass.slot()] = onehot;
    }

    /** The one-hot labels Y (N, K) set for {@code pass}'s slot (null before any). */
    public Tensor labels(Pass pass) { return y[pass.slot()]; }

    /** φ, the critic's body (x to h); the lab reads its layers' outputs (lab.features.CriticTaps). */
    public Layer features() { return features; }

    /** ψ, the unconditional head (h to (N)). */
    public Layer head() { return head; }

    /** Backward's projection term of dh: dh[n] += dt[n] e[n], with e = Y E of the last forward in this slot (dh: (N, ...) of F per row). */
    public void addProjectionGradient(Tensor dh, Tensor dt, Pass pass) {
        be.scaleRows(dhFlat.of(pass, dh, dt.dim(0), featureSize), dt, e[pass.slot()], true);
    }

    /**
     * The double backward of that term for {@link DoubleBackward}: dh depends on E through e = Y E, so given
     * gradDh = dP/d(dh), dP/dE = Yᵀ (dt gradDh) is added into E's gradient. (Its dependence on dt, dP/d(dt)[n] =
     * ⟨gradDh[n], e[n]⟩, is not needed: a penalty's dt is a constant.)
     */
    void projectionDoubleBackward(Tensor gradDh, Tensor dt, Pass pass) {
        int slot = pass.slot(), n = dt.dim(0);
        Tensor des = de[slot] = ensure(de[slot], n, featureSize);
        be.scaleRows(des, dt, be.view(gradDh, n, featureSize), false);       // dt gradDh
        be.gemm(true, false, 1f, y[slot], des, 1f, embedding.grad());        // dE += Yᵀ (dt gradDh)
    }

    /** Backward's embedding gradient: dE += Yᵀ (dt h), with h and Y of the last forward in this slot. */
    public void addEmbeddingGradient(Tensor dt, Pass pass) {
        int slot = pass.slot(), n = dt.dim(0);
        Tensor des = de[slot] = ensure(de[slot], n, featureSize);
        be.scaleRows(des, dt, hFlat.of(pass, h[slot], n, featureSize), false);   // de = dt h
        be.gemm(true, false, 1f, y[slot], des, 1f, embedding.grad());        // dE += Yᵀ de
    }

    /**
     * The double backward of backward's projection terms where P may also depend on dt and on dE ({@code
     * train.GameJacobian}): backward made dh = ψ.backward(dt) + dt e and, with parameter gradients, dE = Yᵀ (dt h).
     * Given gradDh = dP/d(dh) and gradDE = dP/d(dE) (null: P does not depend on dE), adds dP/dE = Yᵀ (dt gradDh) into
     * E's gradient and returns gradDy = dP/d(dt) through these terms, ⟨gradDh[n], e[n]⟩ + ⟨(Y gradDE)[n], h[n]⟩ (N),
     * and gradX = dP/dh through dE's use of h, dt[n] (Y gradDE)[n] (N, F), or null without gradDE. ψ's own part of
     * dP/d(dt) comes from ψ's double backward given gradDh.
     */
    public DoubleBackward.Grads gameDoubleBackward(Tensor gradDh, Tensor dt, Tensor gradDE, Pass pass) {
        int slot = pass.slot(), n = dt.dim(0);
        Tensor flatDh = be.view(gradDh, n, featureSize);
        projectionDoubleBackward(gradDh, dt, pass);                              // dE += Yᵀ (dt gradDh)
        Tensor gradDt = gradDts[slot] = ensure(gradDts[slot], n);
        be.rowDot(gradDt, flatDh, e[slot], false);                               // ⟨gradDh, e⟩
        if (gradDE == null) return new DoubleBackward.Grads(gradDt, null);
        Tensor ye = yGradDE[slot] = ensure(yGradDE[slot], n, featureSize);
        be.gemm(false, false, 1f, y[slot], gradDE, 0f, ye);                      // Y gradDE
        be.rowDot(gradDt, ye, be.view(h[slot], n, featureSize), true);           // + ⟨Y gradDE, h⟩
        Tensor gradH = gradHs[slot] = ensure(gradHs[slot], n, featureSize);
        be.scaleRows(gradH, dt, ye, false);                                      // dt (Y gradDE)
        return new DoubleBackward.Grads(gradDt, gradH);
    }

    private final Tensor[] gradDts = new Tensor[Pass.SLOTS];     // per slot (N): gameDoubleBackward's dP/d(dt)
    private final Tensor[] yGradDE = new Tensor[Pass.SLOTS];     // per slot (N, F): Y dP/d(dE)
    private final Tensor[] gradHs = new Tensor[Pass.SLOTS];      // per slot (N, F): its dP/dh

    @Override
    public int[] outputShape(int[] s) { return head.outputShape(features.outputShape(s)); }

    @Override
    public Tensor forward(Tensor x, Pass pass) {
        int slot = pass.slot();
        Tensor labels = y[slot];
        if (labels == null || labels.dim(0) != x.dim(0)) {
            throw new IllegalStateException("Projection.forward for slot " + slot + " without labels for its " + x.dim(0) + " rows");
        }
        Tensor hs = features.forward(x, pass);
        if (hs.size() != (long) x.dim(0) * featureSize) throw badInput("Projection features", hs, "(N, ...) of " + featureSize + " per row");
        Tensor psi = head.forward(hs, pass);
        Tensor t = outputLike(pass, psi);
        be.copy(psi, t);
        Tensor es = e[slot] = ensure(e[slot], x.dim(0), featureSize);
        be.gemm(false, false, 1f, labels, embedding.value(), 0f, es);        // e = Y E
        be.rowDot(t, es, hFlat.of(pass, hs, x.dim(0), featureSize), true);     // t += <e, h>
        h[slot] = hs;
        return t;
    }

    @Override
    public Tensor backward(Tensor dt, Pass pass, boolean inputGrad, boolean paramGrads) {
        int slot = pass.slot();
        requireCached(h[slot], pass, "Projection");
        if (paramGrads) addEmbeddingGradient(dt, pass);                         // dE += Yᵀ (dt h)
        Tensor dh = head.backward(dt, pass, true, paramGrads);
        addProjectionGradient(dh, dt, pass);                                    // dh += dt e
        return features.backward(dh, pass, inputGrad, paramGrads);
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> all = new java.util.ArrayList<>(features.parameters());
        all.addAll(head.parameters());
        all.add(embedding);
        return all;
    }

    /** features' and head's state under {@code main.}, E as {@code embedding.weight}. */
    @Override
    public void collect(String prefix, Map<String, Parameter> params, Map<String, Tensor> buffers, Map<String, Layer> counterOwners) {
        features.collect(prefix + "main.", params, buffers, counterOwners);
        head.collect(prefix + "main.", params, buffers, counterOwners);
        if (params.putIfAbsent(prefix + "embedding.weight", embedding) != null) {
            throw new IllegalArgumentException("two tensors of a network are named " + prefix + "embedding.weight");
        }
    }
}

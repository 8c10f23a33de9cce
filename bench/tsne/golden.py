#!/usr/bin/env python3
"""Writes src/test/resources/dev/sparring/lab/features/tsne-golden.json: scikit-learn's exact t-SNE, trustworthiness and
logistic regression on small seeded data, for TsneTest and LinearProbeTest.

    python3 bench/tsne/golden.py        # needs numpy and scikit-learn (written with scikit-learn 1.9.1)

Contents:
  tsne.x            (150, 8) three Gaussian clusters of 50 points (numpy seed 0), float64
  tsne.perplexity   30
  tsne.p_rows       rows 0, 1, 75 and 149 of the joint probabilities P (sklearn.manifold._t_sne._joint_probabilities)
  tsne.runs         TSNE(method="exact", init="random", learning_rate="auto", perplexity 30, 1000 iterations) for
                    random_state 0, 1, 2: kl_divergence_ and trustworthiness(x, embedding, n_neighbors=5)
  trust.y           (150, 2) a fixed embedding (x's first two coordinates plus seeded noise) and trust.value, its
                    trustworthiness at 5 neighbours
  logistic.x, .y    (200, 5) features and 0/1 labels; logistic.coef, .intercept: LogisticRegression(C=1) fitted to
                    a gradient tolerance of 1e-12
"""
import json
import os

import numpy as np
import sklearn
from scipy.spatial.distance import squareform
from sklearn.linear_model import LogisticRegression
from sklearn.manifold import TSNE, trustworthiness
from sklearn.manifold._t_sne import _joint_probabilities
from sklearn.metrics import pairwise_distances

rng = np.random.RandomState(0)
centres = rng.normal(0, 4, size=(3, 8))
x = np.concatenate([centres[k] + rng.normal(0, 1, size=(50, 8)) for k in range(3)])
perplexity = 30.0

d2 = pairwise_distances(x, metric="euclidean", squared=True)
p = squareform(_joint_probabilities(d2, perplexity, 0))
runs = []
for seed in (0, 1, 2):
    t = TSNE(n_components=2, perplexity=perplexity, method="exact", init="random", learning_rate="auto",
             early_exaggeration=12.0, max_iter=1000, random_state=seed)
    y = t.fit_transform(x)
    runs.append({"random_state": seed, "kl": float(t.kl_divergence_), "trustworthiness": float(trustworthiness(x, y, n_neighbors=5))})

y_fixed = x[:, :2] + rng.normal(0, 2, size=(150, 2))
trust_fixed = float(trustworthiness(x, y_fixed, n_neighbors=5))

lx = rng.normal(0, 1, size=(200, 5))
w_true = np.array([1.5, -2.0, 0.5, 0.0, 1.0])
ly = (lx @ w_true + 0.3 + rng.logistic(0, 1, size=200) > 0).astype(int)
lr = LogisticRegression(C=1.0, tol=1e-12, max_iter=100000).fit(lx, ly)

golden = {
    "sklearn": sklearn.__version__,
    "tsne": {"x": x.tolist(), "perplexity": perplexity,
             "p_rows": {str(i): p[i].tolist() for i in (0, 1, 75, 149)}, "runs": runs},
    "trust": {"y": y_fixed.tolist(), "neighbours": 5, "value": trust_fixed},
    "logistic": {"x": lx.tolist(), "y": ly.tolist(), "coef": lr.coef_[0].tolist(), "intercept": float(lr.intercept_[0])},
}
here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "..", "src", "test", "resources", "dev", "sparring", "lab", "features", "tsne-golden.json")
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f:
    json.dump(golden, f)
print("wrote", os.path.normpath(out))
for r in runs:
    print("random_state %d: KL %.4f, trustworthiness %.4f" % (r["random_state"], r["kl"], r["trustworthiness"]))
print("fixed embedding trustworthiness %.6f; logistic coef %s intercept %.6f" % (trust_fixed, lr.coef_[0], lr.intercept_[0]))

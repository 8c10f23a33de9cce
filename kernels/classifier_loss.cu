// classifier_loss.cu: softmax cross-entropy, a classifier's training loss, one launch per step.
// Twin of CpuBackend.softmaxCrossEntropy: the same double arithmetic row by row, in the same order within a row.
//
// Layout: logits (B, K) row-major raw class scores, labels (B) int class indices, dLogits (B, K), stats a small float
// array of metrics.
//
// Written (nothing accumulates):
//   softmax_cross_entropy  dLogits[i, j] = (softmax(logits[i])[j] - (j == labels[i])) / B,
//                          stats[slot] = mean over i of -log softmax(logits[i])[labels[i]],
//                          stats[slot + 1] = share of rows whose largest score (the first of equal ones) is at the label.
// A label outside [0, K) cannot be reported from a kernel: its row's gradient and the loss become NaN.
// Launch: ONE block of SPARRING_BLOCK threads, a thread per row in turn (batches are small; one block sums in a fixed
// order, so the result is deterministic, and needs no second pass).
#include "common.cuh"

extern "C" __global__ void softmax_cross_entropy(float* dLogits, const float* logits, const int* labels, int B, int K,
                                                 float* stats, int slot) {
    double loss = 0.0, correct = 0.0;
    for (int i = threadIdx.x; i < B; i += blockDim.x) {
        const float* l = logits + (long long)i * K;
        float* d = dLogits + (long long)i * K;
        const int label = labels[i];
        if (label < 0 || label >= K) {
            for (int j = 0; j < K; j++) d[j] = nanf("");
            loss += nan("");
            continue;
        }
        double max = l[0];
        int argmax = 0;
        for (int j = 1; j < K; j++) {
            if (l[j] > max) { max = l[j]; argmax = j; }
        }
        double sum = 0.0;
        for (int j = 0; j < K; j++) sum += exp(l[j] - max);
        loss += max + log(sum) - l[label];
        if (argmax == label) correct += 1.0;
        for (int j = 0; j < K; j++) d[j] = (float)((exp(l[j] - max) / sum - (j == label ? 1.0 : 0.0)) / B);
    }
    loss = block_sum(loss);
    correct = block_sum(correct);
    if (threadIdx.x == 0) {
        stats[slot] = (float)(loss / B);
        stats[slot + 1] = (float)(correct / B);
    }
}

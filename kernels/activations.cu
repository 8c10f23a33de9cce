// activations.cu: pointwise activations forward and backward, and the bias of convolutions and linear layers.
// Twin of CpuBackend.activationForward/activationBackward/activationDoubleBackward/addBias/biasBackward.
//
// Layout: x, y, dx, dy are contiguous float arrays of n elements (any shape); bias ops see y, dy as
// (N, C, inner) with inner = H*W for images and 1 for matrices, b and db as (C).
//
// Written vs accumulated:
//   *_forward        y  written (y may be x: in place)
//   *_backward       dx written, dx = dy * f'(x) with f' from x (ReLU, LeakyReLU) or y = f(x) (Tanh, Sigmoid)
//   *_double_backward  gdy and gx written: the backward of *_backward for gradient penalties; given gdx (the
//                    gradient with respect to dx), gdy = gdx * f'(x) and gx = gdx * dy * f''(x), with
//                    f'' = 0 (ReLU, LeakyReLU: gx is all zeros), -2 y (1 - y^2) (Tanh), y (1 - y) (1 - 2y) (Sigmoid)
//   bias_add         y  accumulated: y += b along dimension 1
//   bias_backward    db accumulated: db += sum of dy over N and inner, in double, one block per channel
//
// Tanh and Sigmoid are evaluated in double and rounded to float, as the CPU twin does, so that both agree to
// the last bit up to the accuracy of the two math libraries (1 ulp of double).
#include "common.cuh"

extern "C" __global__ void relu_forward(float* y, const float* x, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        float v = x[i];
        y[i] = v > 0.0f ? v : 0.0f;
    }
}

extern "C" __global__ void leaky_relu_forward(float* y, const float* x, long long n, float alpha) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        float v = x[i];
        y[i] = v > 0.0f ? v : alpha * v;
    }
}

extern "C" __global__ void tanh_forward(float* y, const float* x, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) y[i] = (float)tanh((double)x[i]);
}

extern "C" __global__ void sigmoid_forward(float* y, const float* x, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        double v = x[i];
        y[i] = (float)(v >= 0.0 ? 1.0 / (1.0 + exp(-v)) : exp(v) / (1.0 + exp(v)));
    }
}

extern "C" __global__ void relu_backward(float* dx, const float* dy, const float* x, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

extern "C" __global__ void leaky_relu_backward(float* dx, const float* dy, const float* x, long long n, float alpha) {
    for (long long i = grid_start(); i < n; i += grid_stride()) dx[i] = x[i] > 0.0f ? dy[i] : alpha * dy[i];
}

extern "C" __global__ void tanh_backward(float* dx, const float* dy, const float* y, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        float yv = y[i];
        dx[i] = dy[i] * (1.0f - yv * yv);
    }
}

extern "C" __global__ void sigmoid_backward(float* dx, const float* dy, const float* y, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        float yv = y[i];
        dx[i] = dy[i] * yv * (1.0f - yv);
    }
}

extern "C" __global__ void relu_double_backward(float* gdy, float* gx, const float* gdx, const float* x, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        gdy[i] = x[i] > 0.0f ? gdx[i] : 0.0f;
        gx[i] = 0.0f;
    }
}

extern "C" __global__ void leaky_relu_double_backward(float* gdy, float* gx, const float* gdx, const float* x, long long n,
                                                      float alpha) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        gdy[i] = x[i] > 0.0f ? gdx[i] : alpha * gdx[i];
        gx[i] = 0.0f;
    }
}

extern "C" __global__ void tanh_double_backward(float* gdy, float* gx, const float* gdx, const float* dy, const float* y,
                                                long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        float yv = y[i];
        float d1 = 1.0f - yv * yv;
        gdy[i] = gdx[i] * d1;
        gx[i] = gdx[i] * dy[i] * (-2.0f * yv * d1);
    }
}

extern "C" __global__ void sigmoid_double_backward(float* gdy, float* gx, const float* gdx, const float* dy, const float* y,
                                                   long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        float yv = y[i];
        gdy[i] = gdx[i] * yv * (1.0f - yv);
        gx[i] = gdx[i] * dy[i] * (yv * (1.0f - yv) * (1.0f - 2.0f * yv));
    }
}

// y (N, C, inner) += b (C); total = N * C * inner.
extern "C" __global__ void bias_add(float* y, const float* b, long long total, int C, long long inner) {
    for (long long i = grid_start(); i < total; i += grid_stride()) {
        int c = (int)((i / inner) % C);
        y[i] += b[c];
    }
}

// db (C) += sum over n, j of dy (N, C, inner). Grid: C blocks (blockIdx.x = channel).
extern "C" __global__ void bias_backward(float* db, const float* dy, int N, int C, long long inner) {
    const int c = blockIdx.x;
    const long long count = (long long)N * inner;
    double s = 0.0;
    for (long long k = threadIdx.x; k < count; k += blockDim.x) {
        long long n = k / inner, j = k - n * inner;
        s += dy[(n * C + c) * inner + j];
    }
    s = block_sum(s);
    if (threadIdx.x == 0) db[c] += (float)s;
}

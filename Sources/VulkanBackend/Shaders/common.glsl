// Helpers shared by the compute shaders; include after the workgroup-size layout, which gl_WorkGroupSize
// only reflects from that point on. Tensors are flat fp32 arrays in row-major order (NDHWC volumes).

// Index of this invocation when 1-D workgroups are laid out over a 2-D grid (x fastest), which lifts the
// 65 535 limit on workgroups along one axis.
uint flatInvocation() {
    return (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
}

// x · y as hi + lo exactly (Dekker's product: Veltkamp splitting, plain multiplies and adds only, since
// a device may compute fma() unfused).
void exactProduct(float x, float y, out float hi, out float lo) {
    precise float p = x * y;
    precise float sx = 4097.0 * x, sy = 4097.0 * y;
    precise float xh = sx - (sx - x), yh = sy - (sy - y);
    precise float xl = x - xh, yl = y - yh;
    precise float error = (((xh * yh - p) + xh * yl) + xl * yh) + xl * yl;
    hi = p;
    lo = error;
}

// a − q·b, exactly when q is within a few ulp of a / b.
float residual(float a, float b, float q) {
    float hi, lo;
    exactProduct(q, b, hi, lo);
    precise float r = (a - hi) - lo;
    return r;
}

// a / b rounded as IEEE division rounds it, whatever the precision of the device's division (Vulkan
// allows 2.5 ulp): the device's quotient, moved by one ulp when its exact residual shows the neighbour
// is nearer. Spike counts round such quotients, so they must agree with the CPU bit for bit.
float divideExactly(float a, float b) {
    precise float q = a / b;
    if (q == 0.0 || isinf(q) || isnan(q)) return q;
    for (int attempt = 0; attempt < 2; ++attempt) {
        float r = residual(a, b, q);
        // One ulp towards the true quotient: away from zero when r / b has q's sign.
        uint bits = floatBitsToUint(q);
        float neighbour = uintBitsToFloat(((r > 0.0) == (b > 0.0)) == (q > 0.0) ? bits + 1u : bits - 1u);
        if (abs(residual(a, b, neighbour)) < abs(r)) q = neighbour; else break;
    }
    return q;
}

#version 330 core
// Instanced arrows: the mesh points along +z (z in [-0.5, 0.5]); each instance gives a
// position, a direction and a scalar that the colour mode turns into a colour.
layout(location = 0) in vec3 a_pos;
layout(location = 1) in vec3 a_nrm;
layout(location = 2) in vec3 i_pos;
layout(location = 3) in vec3 i_dir;
layout(location = 4) in float i_val;

uniform mat4 u_viewproj;
uniform float u_scale;
uniform int u_mode;      // 0 spin (+1 warm, -1 cool), 1 diverging [-1, 1], 2 viridis [0, 1], 3 solid
uniform vec3 u_color;    // mode 3
uniform vec2 u_shape;    // (transverse, axial) scale of the mesh: spheroids of aspect != 1

out vec3 v_nrm;
out vec3 v_col;

vec3 viridis(float t)
{
    t = clamp(t, 0.0, 1.0);
    const vec3 c0 = vec3(0.2777273272234177, 0.005407344544966578, 0.3340998053353061);
    const vec3 c1 = vec3(0.1050930431085774, 1.404613529898575, 1.384590162594685);
    const vec3 c2 = vec3(-0.3308618287255563, 0.214847559468213, 0.09509516302823659);
    const vec3 c3 = vec3(-4.634230498983486, -5.799100973351585, -19.33244095627987);
    const vec3 c4 = vec3(6.228269936347081, 14.17993336680509, 56.69055260068105);
    const vec3 c5 = vec3(4.776384997670288, -13.74514537774601, -65.35303263337234);
    const vec3 c6 = vec3(-5.435455855934631, 4.645852612178535, 26.3124352495832);
    return c0 + t * (c1 + t * (c2 + t * (c3 + t * (c4 + t * (c5 + t * c6)))));
}

// Diverging blue - light grey - red (Moreland's cool-warm), v in [-1, 1].
vec3 diverging(float v)
{
    v = clamp(v, -1.0, 1.0);
    const vec3 cold = vec3(0.230, 0.299, 0.754);
    const vec3 midc = vec3(0.865, 0.865, 0.865);
    const vec3 warm = vec3(0.706, 0.016, 0.150);
    const vec3 cold2 = vec3(0.552, 0.690, 0.996);
    const vec3 warm2 = vec3(0.958, 0.602, 0.482);
    if (v < 0.0) {
        float t = -v;
        return t < 0.5 ? mix(midc, cold2, 2.0 * t) : mix(cold2, cold, 2.0 * t - 1.0);
    }
    return v < 0.5 ? mix(midc, warm2, 2.0 * v) : mix(warm2, warm, 2.0 * v - 1.0);
}

void main()
{
    vec3 d = normalize(i_dir);
    // orthonormal frame around d (Duff et al. 2017)
    float s = d.z >= 0.0 ? 1.0 : -1.0;
    float a = -1.0 / (s + d.z);
    float b = d.x * d.y * a;
    vec3 t1 = vec3(1.0 + s * d.x * d.x * a, s * b, -s * d.x);
    vec3 t2 = vec3(b, s + d.y * d.y * a, -d.y);
    mat3 R = mat3(t1, t2, d);
    vec3 sh = vec3(u_shape.x, u_shape.x, u_shape.y);
    vec3 w = i_pos + R * (a_pos * sh * u_scale);
    gl_Position = u_viewproj * vec4(w, 1.0);
    v_nrm = R * normalize(a_nrm / sh);
    if (u_mode == 0)
        v_col = i_val >= 0.0 ? vec3(1.00, 0.40, 0.10) : vec3(0.15, 0.45, 1.00);
    else if (u_mode == 1)
        v_col = diverging(i_val);
    else if (u_mode == 2)
        v_col = viridis(i_val);
    else
        v_col = u_color;
}

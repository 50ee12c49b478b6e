#version 330 core
// Ray-cast arrow impostors: one quad (4 vertices, 2 triangles) per particle, without instancing
// (llvmpipe pays a fixed cost per instance): gl_VertexID = 4 * particle + corner. The particle
// data come from a buffer texture, two texels per particle: (pos.xyz, dir.x), (dir.yz, val, -).
// The quad lies in the plane through the particle facing the eye, spans the arrow's projected
// extent (the axis projected plus the head radius, widened for perspective), and
// impostor.frag intersects the eye ray with the shaft, its end cap, the cone and its base.
uniform samplerBuffer u_inst;
uniform mat4 u_viewproj;
uniform vec3 u_eye;      // camera position, world space
uniform float u_scale;
uniform int u_mode;      // 0 spin (+1 warm, -1 cool), 1 diverging [-1, 1], 3 solid
uniform vec3 u_color;
uniform vec2 u_shape;    // (transverse, axial) scale as in arrow.vert
uniform float u_head_r;  // cone radius of the unit arrow

out vec3 v_world;
flat out vec3 v_p;
flat out vec3 v_t1;
flat out vec3 v_t2;
flat out vec3 v_d;
flat out vec3 v_col;

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
    int i = gl_VertexID >> 2, c = gl_VertexID & 3;
    vec4 a = texelFetch(u_inst, 2 * i);
    vec4 b = texelFetch(u_inst, 2 * i + 1);
    vec3 p = a.xyz;
    vec3 d = normalize(vec3(a.w, b.xy));
    // the same orthonormal frame as arrow.vert (Duff et al. 2017)
    float s = d.z >= 0.0 ? 1.0 : -1.0;
    float ka = -1.0 / (s + d.z);
    float kb = d.x * d.y * ka;
    v_t1 = vec3(1.0 + s * d.x * d.x * ka, s * kb, -s * d.x);
    v_t2 = vec3(kb, s + d.y * d.y * ka, -d.y);
    v_d = d;
    v_p = p;

    vec3 e = u_eye - p;
    float D = length(e);
    vec3 v = e / D;                       // towards the eye
    vec3 dp = d - dot(d, v) * v;          // the axis projected on the quad's plane
    float lp = length(dp);
    vec3 u = lp > 1e-4 ? dp / lp : normalize(abs(v.x) < 0.9 ? cross(v, vec3(1, 0, 0))
                                                             : cross(v, vec3(0, 1, 0)));
    vec3 w = cross(v, u);
    float half_len = 0.5 * u_scale * u_shape.y, rad = u_head_r * u_scale * u_shape.x;
    // a point at depth delta in front of the plane projects D / (D - delta) times further out
    float rho = sqrt(half_len * half_len + rad * rad);
    float k = 1.02 * D / max(D - rho, 0.25 * D);
    float ex = (half_len * lp + rad) * k, ey = rad * k;
    vec2 q = vec2(c == 1 || c == 2 ? 1.0 : -1.0, c >= 2 ? 1.0 : -1.0);
    v_world = p + q.x * ex * u + q.y * ey * w;
    gl_Position = u_viewproj * vec4(v_world, 1.0);
    float val = b.z;
    if (u_mode == 0)
        v_col = val >= 0.0 ? vec3(1.00, 0.40, 0.10) : vec3(0.15, 0.45, 1.00);
    else if (u_mode == 1)
        v_col = diverging(val);
    else
        v_col = u_color;
}

// Ray-cast arrow impostors: one triangle per particle and no vertex attributes:
// gl_VertexID = 3 * particle + corner (glDrawArrays). The particle data come from a buffer
// texture, two texels per particle: (pos.xyz, dir.x), (dir.yz, val, -).
//
// The triangle lies in the plane through the particle facing the eye and encloses the arrow's
// projection (widened for perspective): its base across the head end, its apex behind the tail,
// on the line that just clears the tail disc (shaft radius) and the cone's base disc (head
// radius). One triangle rather than a tighter hexagon of four: on llvmpipe the cost per
// triangle outweighs the ~20% fewer pixels, and on SwiftShader (the page's software WebGL) too:
// the arrow's own outline, five triangles of half the pixels, drew slower (paused, the same
// page: N = 1000 21 vs 24 frames/s, N = 5000 13.7 vs 15.9). impostor.frag gets the point in
// the arrow's unit frame (the one interpolated input: llvmpipe pays per input) and, flat, the eye in that frame:
// the ray is point + t (point - eye), and the hit's view depth is the point's (from
// gl_FragCoord.w) times 1 + t.
#ifdef FR_GLES
// WebGL 2 has no buffer textures: the same texels in rows of a 2D float texture.
uniform highp sampler2D u_inst;
vec4 inst_texel(int k)
{
    int w = textureSize(u_inst, 0).x;
    return texelFetch(u_inst, ivec2(k % w, k / w), 0);
}
#else
uniform samplerBuffer u_inst;
#endif
uniform mat4 u_viewproj;
uniform vec3 u_eye;      // camera position, world space
uniform float u_scale;
uniform int u_mode;      // 0 spin (+1 warm, -1 cool), 1 diverging [-1, 1], 3 solid
uniform vec3 u_color;
uniform vec2 u_shape;    // (transverse, axial) scale as in arrow.vert
uniform float u_shaft_r, u_head_r, u_head_len; // the unit arrow (as the mesh)
uniform vec3 u_light;    // direction towards the light, world space
uniform vec3 u_half;     // normalize(light + direction towards the viewer), world space

out vec3 v_o;            // point on the triangle, arrow frame, unit arrow
flat out vec3 v_e;       // the eye, same frame
flat out vec3 v_light;   // light and half vector in the arrow frame
flat out vec3 v_half;
flat out vec3 v_col;

void main()
{
    int i = gl_VertexID / 3, c = gl_VertexID - 3 * i;
#ifdef FR_GLES
    vec4 ta = inst_texel(2 * i);
    vec4 tb = inst_texel(2 * i + 1);
#else
    vec4 ta = texelFetch(u_inst, 2 * i);
    vec4 tb = texelFetch(u_inst, 2 * i + 1);
#endif
    vec3 p = ta.xyz;
    vec3 d = normalize(vec3(ta.w, tb.xy));
    // the same orthonormal frame as arrow.vert (Duff et al. 2017)
    float s = d.z >= 0.0 ? 1.0 : -1.0;
    float ka = -1.0 / (s + d.z);
    float kb = d.x * d.y * ka;
    vec3 t1 = vec3(1.0 + s * d.x * d.x * ka, s * kb, -s * d.x);
    vec3 t2 = vec3(kb, s + d.y * d.y * ka, -d.y);
    mat3 R = mat3(t1, t2, d);
    mat3 Rt = transpose(R);

    vec3 e = u_eye - p;
    float D = length(e);
    vec3 v = e / D;                       // towards the eye
    float cv = dot(d, v);
    vec3 dp = d - cv * v;                 // the axis projected on the plane
    float lp = length(dp);
    vec3 u = lp > 1e-4 ? dp / lp : normalize(abs(v.x) < 0.9 ? cross(v, vec3(1, 0, 0))
                                                             : cross(v, vec3(0, 1, 0)));
    vec3 w = cross(v, u);
    float ac = abs(cv);
    float Lz = u_scale * u_shape.y, rs = u_shaft_r * u_scale * u_shape.x,
          rh = u_head_r * u_scale * u_shape.x;
    // along u: tail disc centre, cone base centre, tip; the discs reach +-radius * |cos| along u
    float u1 = -0.5 * Lz * lp, u2 = (0.5 - u_head_len) * Lz * lp, u3 = 0.5 * Lz * lp;
    float ua = u1 - rs * ac, ub = u2 - rh * ac;
    float wa = rs;
    if (ub <= ua) {                       // seen nearly end-on: a rectangle
        ua = ub;
        wa = rh;
    }
    float uc = max(u2 + rh * ac, u3);
    // the projection lies in the hexagon (ua, +-wa), (ub, +-rh), (uc, +-rh). The enclosing
    // triangle with its apex x behind ua has the half-width W(x) at uc; of two candidates, the
    // apex on the line through the corners A and B (clamped) and x = uc - ua (the best for a
    // rectangle), the one of smaller area
    float ell = uc - ua;
    float x1 = clamp(wa * (ub - ua) / max(rh - wa, 1e-6 * rh), 0.1 * ell, ell), x2 = ell;
    float W1 = max(wa * (ell + x1) / x1, rh * (ell + x1) / (ub - ua + x1));
    float W2 = max(wa * (ell + x2) / x2, rh * (ell + x2) / (ub - ua + x2));
    float x = x1, W = W1;
    if (W2 * (ell + x2) < W1 * (ell + x1)) {
        x = x2;
        W = W2;
    }
    // a point at depth delta in front of the plane projects D / (D - delta) times further out
    float rho = sqrt(0.25 * Lz * Lz + rh * rh);
    float k = 1.02 * D / max(D - rho, 0.25 * D);
    vec2 q = c == 0 ? vec2(ua - x, 0.0) : vec2(uc, c == 1 ? W : -W);
    vec3 world = p + k * (q.x * u + q.y * w);
    gl_Position = u_viewproj * vec4(world, 1.0);

    vec3 sh = vec3(u_shape.x, u_shape.x, u_shape.y) * u_scale;
    v_o = (Rt * (world - p)) / sh;
    v_e = (Rt * e) / sh;
    v_light = Rt * u_light;
    v_half = Rt * u_half;
    float val = tb.z;
    if (u_mode == 0)
        v_col = spin_colour(val);
    else if (u_mode == 1)
        v_col = diverging(val);
    else
        v_col = u_color;
}

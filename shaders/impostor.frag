// Ray-cast arrow (see impostor.vert), in the arrow's unit frame: along +z with z in [-0.5, 0.5],
// a shaft of radius u_shaft_r up to z = zb = 0.5 - u_head_len closed by a disc at z = -0.5, a
// cone of base radius u_head_r from zb to the tip at z = 0.5 with its base disc; the same shape,
// scale and lighting as the mesh (arrow.vert, arrow.frag). With FR_EXACT_DEPTH it writes the
// depth of the hit; without, the triangle's depth stays (the renderer's choice: render.c).
in vec3 v_o;
flat in vec3 v_e;
flat in vec3 v_light;
flat in vec3 v_half;
flat in vec3 v_col;
uniform vec2 u_shape;
uniform float u_shaft_r, u_head_r, u_head_len;
uniform vec2 u_proj_z;   // projection matrix: clip z = x * view z + y, clip w = -view z
out vec4 o_col;

void main()
{
    vec3 o = v_o, r = v_o - v_e; // the eye ray o + t r: t = -1 at the eye, 0 on the triangle
    const float INF = 1e30;
    float tb = INF;
    vec3 nl = vec3(0.0, 0.0, -1.0);
    float zb = 0.5 - u_head_len;
    float a2 = dot(r.xy, r.xy), b2 = dot(o.xy, r.xy), o2 = dot(o.xy, o.xy);
    // shaft: x^2 + y^2 = rs^2, -0.5 <= z <= zb (the front root: entering the cylinder)
    float disc = b2 * b2 - a2 * (o2 - u_shaft_r * u_shaft_r);
    if (disc >= 0.0 && a2 > 1e-12) {
        float t = (-b2 - sqrt(disc)) / a2;
        float z = o.z + t * r.z;
        if (z >= -0.5 && z <= zb) {
            tb = t;
            nl = vec3(o.xy + t * r.xy, 0.0);
        }
    }
    // discs facing -z: the shaft's end at z = -0.5 and the cone's base at z = zb (seen from
    // below only: from above the cone hides them)
    if (r.z > 1e-12) {
        float t = (-0.5 - o.z) / r.z;
        vec2 xy = o.xy + t * r.xy;
        if (dot(xy, xy) <= u_shaft_r * u_shaft_r && t < tb) {
            tb = t;
            nl = vec3(0.0, 0.0, -1.0);
        }
        t = (zb - o.z) / r.z;
        xy = o.xy + t * r.xy;
        if (dot(xy, xy) <= u_head_r * u_head_r && t < tb) {
            tb = t;
            nl = vec3(0.0, 0.0, -1.0);
        }
    }
    // cone: x^2 + y^2 = k^2 (0.5 - z)^2, zb <= z <= 0.5
    float k = u_head_r / u_head_len, k2 = k * k;
    float qz = 0.5 - o.z;
    float ca = a2 - k2 * r.z * r.z, cb = b2 + k2 * qz * r.z, cc = o2 - k2 * qz * qz;
    float cd = cb * cb - ca * cc;
    if (cd >= 0.0 && abs(ca) > 1e-12) {
        float sq = sqrt(cd);
        float ta = (-cb - sq) / ca, tc = (-cb + sq) / ca;
        float t1 = min(ta, tc), t2 = max(ta, tc);
        float z1 = o.z + t1 * r.z, z2 = o.z + t2 * r.z;
        float t = z1 >= zb && z1 <= 0.5 ? t1 : z2 >= zb && z2 <= 0.5 ? t2 : INF;
        if (t < tb) {
            tb = t;
            vec2 xy = o.xy + t * r.xy;
            nl = vec3(xy, k * length(xy));
        }
    }
    if (tb >= INF)
        discard;
    // view depth along the ray from the eye (view z = 0): z(hit) = z(point) (1 + t), with
    // z(point) = -1 / gl_FragCoord.w (a perspective projection: clip w = -view z)
#ifdef FR_EXACT_DEPTH
    float zv = -(1.0 + tb) / gl_FragCoord.w;
    gl_FragDepth = 0.5 * (u_proj_z.x * zv + u_proj_z.y) / -zv + 0.5;
#endif

    // normals of a scaled shape: divided by the scale (as arrow.vert); lit as arrow.frag
    vec3 n = normalize(nl / vec3(u_shape.x, u_shape.x, u_shape.y));
    float ln = dot(n, v_light);
    float diff = max(ln, 0.0);
    float fill = max(-ln, 0.0) * 0.25;
    float s = max(dot(n, v_half), 0.0);
    s *= s; s *= s; s *= s; s *= s; s *= s; // ^32
    vec3 col = v_col * (0.30 + 0.70 * diff + fill) + vec3(0.35 * s);
    o_col = vec4(col, 1.0);
}

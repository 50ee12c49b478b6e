#version 330 core
// Ray-cast arrow (see impostor.vert): the unit arrow along +z with z in [-0.5, 0.5], a shaft of
// radius u_shaft_r up to z = zb = 0.5 - u_head_len closed by a disc at z = -0.5, a cone of base
// radius u_head_r from zb to the tip at z = 0.5 with its base disc, scaled by u_shape * u_scale
// as the mesh. Writes the depth of the hit and lights it as arrow.frag.
in vec3 v_world;
flat in vec3 v_p;
flat in vec3 v_t1;
flat in vec3 v_t2;
flat in vec3 v_d;
flat in vec3 v_col;
uniform mat4 u_viewproj;
uniform vec3 u_eye;
uniform float u_scale;
uniform vec2 u_shape;
uniform float u_shaft_r, u_head_r, u_head_len;
uniform vec3 u_light;    // direction towards the light, world space
uniform vec3 u_eye_dir;  // direction towards the viewer, world space
out vec4 o_col;

void main()
{
    vec3 r = normalize(v_world - u_eye);
    // start the ray at its closest approach to the centre: small numbers, no cancellation
    float t0 = dot(v_p - u_eye, r);
    vec3 o = u_eye + t0 * r - v_p;
    vec3 sh = vec3(u_shape.x, u_shape.x, u_shape.y) * u_scale;
    vec3 ol = vec3(dot(o, v_t1), dot(o, v_t2), dot(o, v_d)) / sh;
    vec3 rl = vec3(dot(r, v_t1), dot(r, v_t2), dot(r, v_d)) / sh;
    const float INF = 1e30;
    float tb = INF;
    vec3 nl = vec3(0.0);
    float zb = 0.5 - u_head_len;
    float a2 = dot(rl.xy, rl.xy), b2 = dot(ol.xy, rl.xy), o2 = dot(ol.xy, ol.xy);
    // shaft: x^2 + y^2 = rs^2, -0.5 <= z <= zb (the front root only: a closed convex body)
    float disc = b2 * b2 - a2 * (o2 - u_shaft_r * u_shaft_r);
    if (disc >= 0.0 && a2 > 1e-12) {
        float t = (-b2 - sqrt(disc)) / a2;
        float z = ol.z + t * rl.z;
        if (z >= -0.5 && z <= zb && t < tb) {
            tb = t;
            nl = vec3(ol.xy + t * rl.xy, 0.0);
        }
    }
    // discs facing -z: the shaft's end at z = -0.5 and the cone's base at z = zb
    if (abs(rl.z) > 1e-12) {
        float t = (-0.5 - ol.z) / rl.z;
        vec2 xy = ol.xy + t * rl.xy;
        if (dot(xy, xy) <= u_shaft_r * u_shaft_r && t < tb) {
            tb = t;
            nl = vec3(0.0, 0.0, -1.0);
        }
        t = (zb - ol.z) / rl.z;
        xy = ol.xy + t * rl.xy;
        if (dot(xy, xy) <= u_head_r * u_head_r && t < tb) {
            tb = t;
            nl = vec3(0.0, 0.0, -1.0);
        }
    }
    // cone: x^2 + y^2 = k^2 (0.5 - z)^2, zb <= z <= 0.5
    float k = u_head_r / u_head_len, k2 = k * k;
    float qz = 0.5 - ol.z;
    float ca = a2 - k2 * rl.z * rl.z, cb = b2 + k2 * qz * rl.z, cc = o2 - k2 * qz * qz;
    float cd = cb * cb - ca * cc;
    if (cd >= 0.0 && abs(ca) > 1e-12) {
        float sq = sqrt(cd);
        float ta = (-cb - sq) / ca, tc = (-cb + sq) / ca;
        float t1 = min(ta, tc), t2 = max(ta, tc);
        float z1 = ol.z + t1 * rl.z, z2 = ol.z + t2 * rl.z;
        float t = z1 >= zb && z1 <= 0.5 ? t1 : z2 >= zb && z2 <= 0.5 ? t2 : INF;
        if (t < tb) {
            tb = t;
            vec2 xy = ol.xy + t * rl.xy;
            nl = vec3(xy, k * length(xy));
        }
    }
    if (tb >= INF)
        discard;
    vec3 hit = u_eye + (t0 + tb) * r;
    vec4 clip = u_viewproj * vec4(hit, 1.0);
    gl_FragDepth = 0.5 * clip.z / clip.w + 0.5;

    vec3 nn = normalize(nl / sh);
    vec3 n = normalize(nn.x * v_t1 + nn.y * v_t2 + nn.z * v_d);
    if (dot(n, r) > 0.0)
        n = -n;
    float diff = max(dot(n, u_light), 0.0);
    float fill = max(dot(n, -u_light), 0.0) * 0.25;
    vec3 h = normalize(u_light + u_eye_dir);
    float spec = pow(max(dot(n, h), 0.0), 32.0) * 0.35;
    vec3 col = v_col * (0.30 + 0.70 * diff + fill) + vec3(spec);
    o_col = vec4(col, 1.0);
}

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
        v_col = spin_colour(i_val);
    else if (u_mode == 1)
        v_col = diverging(i_val);
    else if (u_mode == 2)
        v_col = viridis(i_val);
    else
        v_col = u_color;
}

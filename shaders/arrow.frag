in vec3 v_nrm;
in vec3 v_col;
uniform vec3 u_light;    // direction towards the light, world space
uniform vec3 u_eye_dir;  // direction towards the viewer, world space
out vec4 o_col;

void main()
{
    vec3 n = normalize(v_nrm);
    if (!gl_FrontFacing)
        n = -n;
    float diff = max(dot(n, u_light), 0.0);
    float fill = max(dot(n, -u_light), 0.0) * 0.25;
    vec3 h = normalize(u_light + u_eye_dir);
    float spec = pow(max(dot(n, h), 0.0), 32.0) * 0.35;
    vec3 c = v_col * (0.30 + 0.70 * diff + fill) + vec3(spec);
    o_col = vec4(c, 1.0);
}

// Streamlines: position, speed relative to the colour bar's top, arc length along the flow.
layout(location = 0) in vec3 a_pos;
layout(location = 1) in float a_speed;
layout(location = 2) in float a_arc;
uniform mat4 u_viewproj;
out float v_speed;
out float v_arc;
void main()
{
    gl_Position = u_viewproj * vec4(a_pos, 1.0);
    v_speed = a_speed;
    v_arc = a_arc;
}

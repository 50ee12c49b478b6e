// 2D overlay in window pixels (origin top left): text from the font atlas and flat shapes.
layout(location = 0) in vec2 a_pos;
layout(location = 1) in vec2 a_uv;
layout(location = 2) in vec4 a_col;
uniform vec2 u_size;
out vec2 v_uv;
out vec4 v_col;
void main()
{
    gl_Position = vec4(2.0 * a_pos.x / u_size.x - 1.0, 1.0 - 2.0 * a_pos.y / u_size.y, 0.0, 1.0);
    v_uv = a_uv;
    v_col = a_col;
}

in vec2 v_uv;
in vec4 v_col;
uniform sampler2D u_atlas;   // single channel coverage; one texel is fully on for flat shapes
out vec4 o_col;
void main() { o_col = vec4(v_col.rgb, v_col.a * texture(u_atlas, v_uv).r); }

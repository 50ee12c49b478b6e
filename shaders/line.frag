in vec4 v_col;
out vec4 o_col;
void main() { o_col = v_col; }

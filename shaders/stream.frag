// Viridis by speed; bright dashes move along the flow direction (arc length increases
// downstream), so the direction reads even where arrowheads are hidden.
in float v_speed;
in float v_arc;
uniform float u_time;
uniform float u_dash;    // dashes per unit length
out vec4 o_col;

void main()
{
    float ph = fract(v_arc * u_dash - u_time * 0.8);
    float dash = smoothstep(0.0, 0.1, ph) * (1.0 - smoothstep(0.45, 0.55, ph));
    vec3 c = viridis(v_speed);
    o_col = vec4(c * (0.75 + 0.35 * dash), 0.55 + 0.45 * dash);
}

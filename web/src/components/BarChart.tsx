/**
 * A small bar chart drawn as inline SVG: no chart library (they weigh 300 KB+ and fetch nothing we need). Accessible:
 * the SVG is an image named by its title, each bar carries its own <title>, and the same figures are in the tables.
 */
interface TBar {
  label: string;
  value: number;
  fill: string;
}

export function BarChart({ title, bars }: { title: string; bars: TBar[] }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const barWidth = 56;
  const gap = 28;
  const chartHeight = 180;
  const width = bars.length * (barWidth + gap) + gap;
  const height = chartHeight + 50;
  const summary = bars.map((b) => `${b.label} ${b.value}`).join('，');
  return (
    <svg
      role="img"
      aria-label={`${title}：${summary}`}
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      style={{ maxWidth: '100%', height: 'auto', display: 'block' }}
    >
      <title>{`${title}：${summary}`}</title>
      <line x1={gap / 2} y1={chartHeight + 10} x2={width - gap / 2} y2={chartHeight + 10} stroke="#999" />
      {bars.map((b, i) => {
        const h = Math.round((b.value / max) * (chartHeight - 20));
        const x = gap + i * (barWidth + gap);
        const y = chartHeight + 10 - h;
        return (
          <g key={b.label}>
            <title>{`${b.label}：${b.value}`}</title>
            <rect x={x} y={y} width={barWidth} height={h} fill={b.fill} rx={3} />
            <text x={x + barWidth / 2} y={y - 6} textAnchor="middle" fontSize={14} fill="#222">
              {b.value}
            </text>
            <text x={x + barWidth / 2} y={chartHeight + 32} textAnchor="middle" fontSize={13} fill="#333">
              {b.label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

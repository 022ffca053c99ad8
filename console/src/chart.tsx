import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const COLORS = ['#2563eb', '#dc2626', '#d97706', '#059669', '#7c3aed'];

/** A uPlot line chart of a fixed height (the page does not move when data arrives). */
export function Chart({ title, timestamps, series, unit }: { title: string; timestamps: number[]; series: Array<{ label: string; values: Array<number | null> }>; unit: string }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const box = el.current!;
    const width = Math.max(260, box.clientWidth);
    const plot = new uPlot({
      width,
      height: 180,
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true, points: { show: true, size: 4 }, value: (_: uPlot, v: number | null) => (v == null ? '—' : `${+v.toFixed(2)} ${unit}`) }))],
      axes: [{}, { size: 50 }],
      legend: { live: true },
    }, [timestamps, ...series.map((s) => s.values)] as uPlot.AlignedData, box);
    const onResize = () => plot.setSize({ width: Math.max(260, box.clientWidth), height: 180 });
    addEventListener('resize', onResize);
    return () => { removeEventListener('resize', onResize); plot.destroy(); };
  }, [timestamps, series, unit]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={el} class="chart-box" role="img" aria-label={`${title}: ${series.map((s) => `${s.label} total ${s.values.reduce<number>((a, b) => a + (b ?? 0), 0).toFixed(0)}`).join(', ')}`} />
    </figure>
  );
}

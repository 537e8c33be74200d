// chart.js registered once with only the parts the dashboard's line charts use (keeps the bundle small),
// and the options every chart shares: no animation (a batch every 100 ms would keep the GPU busy), and
// decimation so a long history never draws more points than the canvas has pixels.
import { Chart, Decimation, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartOptions } from 'chart.js';
import { formatClock } from './status-style';

Chart.register(LineController, LineElement, PointElement, LinearScale, Filler, Legend, Tooltip, Decimation);

export { Chart };

export function cssColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export function lineOptions(stacked: boolean, yTitle: string): ChartOptions<'line'> {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    parsing: false,
    normalized: true,
    spanGaps: true,
    interaction: { mode: 'nearest', axis: 'x', intersect: false },
    // Stepped: a count holds until the next sample. A straight line between samples hours apart would draw a
    // ramp the fabric never went through.
    elements: { point: { radius: 0 }, line: { borderWidth: 1.5, tension: 0, stepped: true } },
    plugins: {
      decimation: { enabled: true, algorithm: 'lttb', samples: 200 },
      legend: { position: 'bottom', labels: { boxWidth: 10, boxHeight: 10, font: { size: 11 } } },
      tooltip: { callbacks: { title: (items) => (items[0] ? formatClock(items[0].parsed.x ?? 0) : '') } },
    },
    scales: {
      x: { type: 'linear', ticks: { maxTicksLimit: 6, font: { size: 10 }, callback: (v) => formatClock(Number(v)) } },
      y: { stacked, beginAtZero: true, title: { display: true, text: yTitle, font: { size: 11 } }, ticks: { precision: 0, font: { size: 10 } } },
    },
  };
}

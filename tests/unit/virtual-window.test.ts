// Long lists put only the rows in view (plus a few) in the DOM, however long the list.
import { describe, expect, it } from 'vitest';
import { scrollToReveal, visibleWindow } from '../../src-renderer/lib/virtual-window';

describe('virtual list window', () => {
  it('renders the rows in view plus the overscan, not the whole list', () => {
    const w = visibleWindow(0, 300, 30, 2048, 4);
    expect(w).toEqual({ start: 0, end: 15, offset: 0, total: 2048 * 30 });
  });

  it('follows the scroll position and offsets the window by the rows above it', () => {
    const w = visibleWindow(30 * 1000 + 10, 300, 30, 2048, 4);
    expect(w.start).toBe(996);
    expect(w.end).toBe(1000 + 11 + 4);
    expect(w.offset).toBe(996 * 30);
    expect(w.end - w.start).toBeLessThan(25);
  });

  it('renders every row of a list shorter than the viewport', () => {
    expect(visibleWindow(0, 600, 30, 5)).toEqual({ start: 0, end: 5, offset: 0, total: 150 });
  });

  it('clamps a scroll position left over from a longer list so the last rows still show', () => {
    const w = visibleWindow(60_000, 300, 30, 20, 2);
    expect(w.end).toBe(20);
    expect(w.start).toBeLessThanOrEqual(10);
  });

  it('is empty for an empty list', () => {
    expect(visibleWindow(100, 300, 30, 0)).toEqual({ start: 0, end: 0, offset: 0, total: 0 });
  });

  it('scrolls just enough to reveal a row', () => {
    expect(scrollToReveal(5, 0, 300, 30)).toBeNull();
    expect(scrollToReveal(20, 0, 300, 30)).toBe(21 * 30 - 300);
    expect(scrollToReveal(2, 300, 300, 30)).toBe(60);
  });
});

describe('toolchain', () => {
  it('runs TypeScript tests', () => {
    expect([1, 2, 3].map((n) => n * 2)).toEqual([2, 4, 6]);
  });
});

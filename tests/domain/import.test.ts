/**
 * The import's pure rules: header words and their synonyms, numbering, unit cells (separators, lead marks, groups),
 * who leads (never a guess), the layouts offices use, and the directory sheet. Properties where the rule is general:
 * any arrangement of units around a marked lead keeps that lead; the lead is never also a participant; a row without
 * a rule-given lead takes the default or is an error, never one of its units by chance.
 */
import fc from 'fast-check';
import {
  buildNameIndex,
  cellRef,
  cityGovernments,
  findHeader,
  headerField,
  parseUnitCell,
  planDirectory,
  previewTaskRows,
  provincialDepartments,
  resolveUnits,
  splitUnitCell,
  stripNumbering,
  structureRows,
  type TDirectorySnapshot,
  type TGrid,
} from '../../domain/import';

const unit = (
  id: string,
  name: string,
  level: string,
  kind: string,
  parentId: string | null,
  aliases: string[] = [],
) => ({
  id,
  name,
  level,
  kind,
  parentId,
  aliases,
});

const directory: TDirectorySnapshot = {
  units: [
    unit('prov', '江南省人民政府', 'province', 'government', null),
    unit('office', '省整改办', 'province', 'office', 'prov'),
    unit('health', '江南省卫生健康委员会', 'province', 'department', 'prov', ['省卫生健康委', '省卫健委']),
    unit('drug', '省药品监督管理局', 'department', 'department', 'prov', ['省药监局']),
    unit('insurance', '省医疗保障局', 'department', 'department', 'prov', ['省医保局']),
    unit('finance', '省财政厅', 'department', 'department', 'prov'),
    unit('cityA', '东州市人民政府', 'city', 'government', 'prov'),
    unit('cityAdept', '东州市卫生健康委', 'department', 'department', 'cityA'),
    unit('cityB', '西州市人民政府', 'city', 'government', 'prov'),
    unit('cityBoffice', '西州市整改办', 'city', 'office', 'cityB'),
  ],
  groups: [
    { id: 'g1', name: '具有执法职能的省(中)直各部门', aliases: ['执法部门'], memberUnitIds: ['drug', 'insurance'] },
  ],
  users: [
    { id: 'lee', name: '李主任（牵头领导）', role: 'leader', unitId: 'prov', active: true },
    { id: 'zhang', name: '张副省长', role: 'leader', unitId: 'prov', active: true },
    { id: 'gone', name: '王离职', role: 'leader', unitId: 'prov', active: false },
    { id: 'chen', name: '陈干事', role: 'unit_staff', unitId: 'health', active: true },
  ],
};
const index = buildNameIndex(directory);
const DEPARTMENTS = ['health', 'drug', 'insurance', 'finance'];

function grid(rows: (string | null)[][]): TGrid {
  return { rows: rows.map((r) => r.map((c) => c ?? '')) };
}

const OPTIONS = {
  assignedOn: '2020-10-16',
  immediateDays: 15,
  defaultLeadUnitId: null,
  defaultLeaderId: 'lee',
  maxRows: 20_000,
};

describe('header', () => {
  it('When a header cell uses a synonym, a note in parentheses or spaces, then it names its field', () => {
    expect(headerField('问题类别')).toBe('category');
    expect(headerField('类别')).toBe('category');
    expect(headerField('存在问题')).toBe('problem');
    expect(headerField('问题描述')).toBe('problem');
    expect(headerField('具体措施')).toBe('measure');
    expect(headerField('责任领导')).toBe('leader');
    expect(headerField('责 任 部 门')).toBe('leadUnit');
    expect(headerField('牵头单位')).toBe('leadUnit');
    expect(headerField('协办单位')).toBe('participants');
    expect(headerField('完成时限（截止日期）')).toBe('deadline');
    expect(headerField('时限要求')).toBe('deadline');
    expect(headerField('整改目标')).toBe('target');
    expect(headerField('责任人')).toBe('responsible');
    expect(headerField('整改进展')).toBeNull();
    expect(headerField('')).toBeNull();
  });

  it('When a title row and a note sit above the header, then the header is the row naming the measure column', () => {
    const g = grid([
      ['省委巡视反馈意见整改任务清单'],
      ['（填报单位：省整改办）'],
      ['序号', '问题类别', '具体问题', '整改措施', '牵头领导', '责任单位', '配合单位', '整改时限', '整改进展'],
    ]);
    expect(findHeader(g)).toEqual({
      rowIndex: 2,
      columns: { seq: 0, category: 1, problem: 2, measure: 3, leader: 4, leadUnit: 5, participants: 6, deadline: 7 },
    });
  });

  it('When no row names a measure column, then there is no header', () => {
    expect(findHeader(grid([['标题'], ['问题', '单位']]))).toBeNull();
    expect(findHeader(grid([]))).toBeNull();
  });

  it('When the ledger export is read back, then each of its header words is recognised', () => {
    const words = [
      '序号',
      '问题类别',
      '具体问题',
      '整改措施',
      '牵头领导',
      '责任单位',
      '配合单位',
      '整改时限',
      '责任人',
      '整改目标',
    ];
    expect(words.map(headerField)).toEqual([
      'seq',
      'category',
      'problem',
      'measure',
      'leader',
      'leadUnit',
      'participants',
      'deadline',
      'responsible',
      'target',
    ]);
  });
});

describe('numbering', () => {
  it.each([
    ['一、对综合监管制度需进一步深化认识', 'category', '对综合监管制度需进一步深化认识'],
    ['十二、社会监督', 'category', '社会监督'],
    ['（一）有些部门和人员', 'problem', '有些部门和人员'],
    ['(十六)目前正处于', 'problem', '目前正处于'],
    ['1.通过召开座谈会', 'measure', '通过召开座谈会'],
    ['12、建立制度', 'measure', '建立制度'],
    ['（3）加强培训', 'measure', '加强培训'],
    ['①完善机制', 'measure', '完善机制'],
    ['2020年12月底前完成', null, '2020年12月底前完成'],
    ['3.5亿元专项资金', null, '3.5亿元专项资金'],
    ['进一步理清责任', null, '进一步理清责任'],
  ])('%s → %s', (raw, level, text) => {
    expect(stripNumbering(raw)).toEqual({ level, text });
  });
});

describe('unit cells', () => {
  it('When units are on separate lines or between 、，; then each is one part, parentheses kept whole', () => {
    expect(splitUnitCell('各市人民政府\n省(中)直各部门(省卫生健康委、省医保局牵头)')).toEqual([
      '各市人民政府',
      '省(中)直各部门(省卫生健康委、省医保局牵头)',
    ]);
    expect(splitUnitCell('省财政厅，省医保局;省药监局、 省卫健委')).toEqual([
      '省财政厅',
      '省医保局',
      '省药监局',
      '省卫健委',
    ]);
  });

  it('When a unit is marked (…牵头), then it is the lead; a group with a leading member names both', () => {
    expect(parseUnitCell('省卫生健康委（牵头）、省医保局')).toEqual([
      { name: '省卫生健康委', lead: true },
      { name: '省医保局', lead: false },
    ]);
    expect(parseUnitCell('省(中)直各部门(省卫生健康委牵头)')).toEqual([
      { name: '省(中)直各部门', lead: false },
      { name: '省卫生健康委', lead: true },
    ]);
    expect(parseUnitCell('省药监局（配合）')).toEqual([{ name: '省药监局', lead: false }]);
  });

  it('When the built-in groups are resolved, then cities are city governments and departments are provincial ones', () => {
    expect(cityGovernments(directory.units).sort()).toEqual(['cityA', 'cityB']);
    // A city's own department is not a provincial department.
    expect(provincialDepartments(directory.units).sort()).toEqual([...DEPARTMENTS].sort());
  });

  const resolve = (text: string, defaultLead: string | null = null, participants?: string) =>
    resolveUnits(
      {
        lead: { cell: 'E7', text },
        participants: participants === undefined ? null : { cell: 'F7', text: participants },
      },
      index,
      defaultLead,
    );

  it('When exactly one single unit is named beside groups, then that unit leads and the groups take part', () => {
    const r = resolve('各市人民政府、省药监局');
    expect(r.errors).toEqual([]);
    expect(r.leadUnitId).toBe('drug');
    expect(r.participatingUnitIds.sort()).toEqual(['cityA', 'cityB']);
  });

  it('When the group names its leading member, then that member leads and the rest of the group takes part', () => {
    const r = resolve('各市人民政府\n省(中)直各部门(省卫生健康委牵头)');
    expect(r.leadUnitId).toBe('health');
    expect(r.participatingUnitIds.sort()).toEqual(['cityA', 'cityB', 'drug', 'finance', 'insurance']);
  });

  it('When only groups or several single units are named, then the lead is the default, or an error naming the cell', () => {
    expect(resolve('各市人民政府、省(中)直各部门').errors[0]?.message).toMatch(/^E7：无法确定牵头单位/);
    expect(resolve('省卫生健康委、省财政厅').leadUnitId).toBeNull();
    const withDefault = resolve('各市人民政府\n省卫生健康委、省财政厅', 'health');
    expect(withDefault.leadUnitId).toBe('health');
    expect(withDefault.warnings[0]?.message).toMatch(/^E7：未标明牵头单位，采用导入时选择的默认牵头单位/);
    expect(withDefault.participatingUnitIds.sort()).toEqual(['cityA', 'cityB', 'finance']);
  });

  it('When a name is unknown, ambiguous, or two units are marked, then an error names the cell and nothing leads', () => {
    expect(resolve('省教育厅').errors[0]?.message).toBe('E7：通讯录中没有单位“省教育厅”（可在通讯录中添加单位或简称）');
    expect(resolve('省卫健委（牵头）、省医保局（牵头）').errors[0]?.message).toMatch(/多个牵头单位/);
    expect(resolve('各市人民政府（牵头）').errors[0]?.message).toMatch(/不能是单位组/);
  });

  it('When the sheet has a participants column, then the lead column decides and the other cell only takes part', () => {
    const r = resolve('省卫健委', null, '省医保局、执法部门');
    expect(r.leadUnitId).toBe('health');
    expect(r.participatingUnitIds.sort()).toEqual(['drug', 'insurance']);
    expect(resolve('', null, '省医保局').errors[0]?.message).toMatch(/^E7：/);
  });

  const singles = fc.constantFrom('省卫生健康委', '省药监局', '省医保局', '省财政厅', '东州市人民政府');
  const groups = fc.constantFrom('各市人民政府', '省(中)直各部门', '具有执法职能的省(中)直各部门', '省直有关部门');
  const separator = fc.constantFrom('、', '，', '\n', ';', ' ');

  it('Property: whatever surrounds it, a unit marked as lead leads, and never takes part as well', () => {
    fc.assert(
      fc.property(
        singles,
        fc.array(fc.oneof(singles, groups), { maxLength: 5 }),
        fc.nat(5),
        separator,
        (lead, others, at, sep) => {
          const parts: string[] = [...others];
          parts.splice(Math.min(at, parts.length), 0, `${lead}（牵头）`);
          const r = resolve(parts.join(sep));
          const leadId = index.get(lead)!.ids[0];
          expect(r.errors).toEqual([]);
          expect(r.leadUnitId).toBe(leadId);
          expect(r.participatingUnitIds).not.toContain(leadId);
        },
      ),
    );
  });

  it('Property: without a mark, the lead is the single unit beside groups, else the default, else none (an error)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(singles, groups), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        separator,
        (parts, withDefault, sep) => {
          const r = resolve(parts.join(sep), withDefault ? 'office' : null);
          const singleIds = [
            ...new Set(parts.filter((p) => index.get(p)!.kind === 'unit').map((p) => index.get(p)!.ids[0])),
          ];
          const hasGroup = parts.some((p) => index.get(p)!.kind === 'group');
          const ruled = singleIds.length === 1 && (hasGroup || parts.every((p) => index.get(p)!.kind === 'unit'));
          if (ruled) expect(r.leadUnitId).toBe(singleIds[0]);
          else if (withDefault) expect(r.leadUnitId).toBe('office');
          else {
            expect(r.leadUnitId).toBeNull();
            expect(r.errors).toHaveLength(1);
            expect(r.errors[0].cell).toBe('E7');
          }
          if (r.leadUnitId) expect(r.participatingUnitIds).not.toContain(r.leadUnitId);
        },
      ),
    );
  });
});

describe('layouts', () => {
  const header = ['序号', '问题类别', '具体问题', '整改措施', '责任单位', '整改时限'];

  it('When category and problem cells are blank below their first row (merges lost), then they are carried down', () => {
    const g = grid([
      ['清单'],
      header,
      ['1', '一、党的建设', '（一）责任落实不到位', '1.建立台账', '省卫健委', '2026年6月30日前完成'],
      ['2', null, null, '2.逐项销号', '省医保局', '长期坚持'],
      ['3', null, '（二）制度不健全', '完善制度', '省财政厅', '立行立改'],
      ['4', '二、作风建设', '（三）形式主义', '精简会议', '省药监局', '2026年底'],
    ]);
    const rows = structureRows(g, findHeader(g)!);
    expect(rows.map((r) => [r.row, r.category, r.problem, r.measure])).toEqual([
      [3, '党的建设', '责任落实不到位', '建立台账'],
      [4, '党的建设', '责任落实不到位', '逐项销号'],
      [5, '党的建设', '制度不健全', '完善制度'],
      [6, '作风建设', '形式主义', '精简会议'],
    ]);
  });

  it('When category and problem are heading rows above the measures, then they structure the rows below', () => {
    const g = grid([
      ['序号', '整改措施', '责任单位', '整改时限'],
      ['一、党的建设', '一、党的建设', '一、党的建设', '一、党的建设'],
      ['（一）责任落实不到位'],
      ['1', '1.建立台账', '省卫健委', '长期坚持'],
      ['2', '2.逐项销号', '省卫健委', '长期坚持'],
      ['（二）制度不健全'],
      ['3', '完善制度', '省卫健委', '长期坚持'],
    ]);
    const rows = structureRows(g, findHeader(g)!);
    expect(rows.map((r) => [r.category, r.problem, r.measure])).toEqual([
      ['党的建设', '责任落实不到位', '建立台账'],
      ['党的建设', '责任落实不到位', '逐项销号'],
      ['党的建设', '制度不健全', '完善制度'],
    ]);
  });

  it('When a measure row leaves units or deadline blank within its problem, then they are carried with a warning', () => {
    const g = grid([
      header,
      ['1', '类', '问题', '措施一', '省卫健委', '长期坚持'],
      ['2', '类', '问题', '措施二', '', ''],
    ]);
    const rows = structureRows(g, findHeader(g)!);
    expect(rows[1].leadUnitText).toBe('省卫健委');
    expect(rows[1].deadlineText).toBe('长期坚持');
    expect(rows[1].issues.warnings.map((w) => w.cell)).toEqual(['E3', 'F3']);
  });

  it('When a row is previewed, then units, leader, deadline and every problem name their cell', () => {
    const g = grid([
      ['序号', '问题类别', '具体问题', '整改措施', '牵头领导', '责任单位', '配合单位', '整改时限', '责任人'],
      ['1', '党建', '问题甲', '措施一', '李主任', '省卫健委', '省医保局', '2021年6月30日前完成，并长期推进', '陈干事'],
      ['2', '党建', '问题甲', '措施二', '赵某', '省教育厅', '', '下个月', ''],
      ['3', '党建', '问题乙', '措施三', '', '省财政厅', '', '立行立改', ''],
    ]);
    const result = previewTaskRows(g, directory, { ...OPTIONS, defaultLeaderId: null });
    if (!result.ok) throw new Error(result.message);
    const [a, b, c] = result.rows;
    expect(a).toMatchObject({
      row: 2,
      category: '党建',
      problem: '问题甲',
      leadUnitId: 'health',
      participatingUnitIds: ['insurance'],
      leaderId: 'lee',
      leaderText: '李主任',
      responsiblePersonId: 'chen',
      deadline: { kind: 'date_then_long_term', date: '2021-06-30' },
      errors: [],
    });
    expect(b.errors.map((e) => e.cell).sort()).toEqual(['E3', 'F3', 'H3']);
    expect(b.errors.find((e) => e.cell === 'H3')?.message).toMatch(/^H3：无法识别的整改时限“下个月”/);
    expect(c.deadline).toEqual({ kind: 'immediate', date: '2020-10-31' });
    expect(c.errors.map((e) => e.message)).toEqual(['E4：没有牵头领导，且本轮没有默认牵头领导']);
    expect(result.summary).toEqual({ categories: 1, problems: 2, tasks: 3, errors: 4, warnings: 0 });
  });

  it("When a deadline lies outside the campaign's window, then its cell carries the error creation by hand gives", () => {
    const g = grid([
      ['具体问题', '整改措施', '责任单位', '整改时限'],
      ['问题', '措施一', '省卫健委', '2062年6月30日前完成'],
      ['问题', '措施二', '省卫健委', '2018年6月30日前完成'],
      ['问题', '措施三', '省卫健委', '2021年6月30日前完成'],
    ]);
    const result = previewTaskRows(g, directory, { ...OPTIONS, feedbackDate: '2020-06-30' });
    if (!result.ok) throw new Error(result.message);
    expect(result.rows[0].errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^D2：日期 2062-06-30 晚于今后十年/),
    ]);
    expect(result.rows[1].errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^D3：日期 2018-06-30 早于反馈日期前一年/),
    ]);
    expect(result.rows[2].errors).toEqual([]);
    expect(result.rows[0].deadline).toBeNull();
  });

  it('When the leader is unknown or inactive and a default exists, then the default leads with a warning', () => {
    const g = grid([
      ['具体问题', '整改措施', '牵头领导', '责任单位', '整改时限'],
      ['问题', '措施', '王离职', '省卫健委', '长期坚持'],
    ]);
    const result = previewTaskRows(g, directory, { ...OPTIONS, defaultLeaderId: 'zhang' });
    if (!result.ok) throw new Error(result.message);
    expect(result.rows[0].leaderId).toBe('zhang');
    expect(result.rows[0].warnings[0].message).toBe('C2：通讯录中没有牵头领导“王离职”，采用本轮默认牵头领导');
    expect(result.rows[0].category).toBe('未分类');
  });

  it('When the list is over the row cap or has no measures, then the whole file is refused with the reason', () => {
    const rows = [
      ['具体问题', '整改措施', '责任单位', '整改时限'],
      ...Array.from({ length: 6 }, (_, i) => ['问题', `措施${i}`, '省卫健委', '长期']),
    ];
    const over = previewTaskRows(grid(rows), directory, { ...OPTIONS, maxRows: 5 });
    expect(over).toEqual({ ok: false, message: expect.stringMatching(/行数过多：共 6 行，一次最多导入 5 行/) });
    expect(previewTaskRows(grid([rows[0]]), directory, OPTIONS)).toEqual({
      ok: false,
      message: '表头下没有任何整改措施行',
    });
  });

  it('Property: any table with a header somewhere in its first rows previews one row per measure', () => {
    fc.assert(
      fc.property(
        fc.nat(8),
        fc.array(fc.constantFrom('省卫健委', '各市人民政府、省药监局', '省医保局（牵头）、省财政厅'), {
          minLength: 1,
          maxLength: 30,
        }),
        (above, units) => {
          const rows = [
            ...Array.from({ length: above }, (_, i) => [`标题${i}`]),
            ['问题类别', '具体问题', '整改措施', '责任单位', '整改时限'],
            ...units.map((u, i) => [`类${i % 3}`, `问题${i % 5}`, `措施${i}`, u, '长期坚持']),
          ];
          const result = previewTaskRows(grid(rows), directory, OPTIONS);
          if (!result.ok) throw new Error(result.message);
          expect(result.rows.map((r) => r.row)).toEqual(units.map((_, i) => above + 2 + i));
          expect(result.summary.errors).toBe(0);
          expect(result.rows.every((r) => r.leadUnitId !== null)).toBe(true);
        },
      ),
    );
  });

  it('cellRef names columns past Z as Excel does', () => {
    expect(cellRef(6, 4)).toBe('E7');
    expect(cellRef(0, 26)).toBe('AA1');
    expect(cellRef(9, 52)).toBe('BA10');
  });
});

describe('directory sheet', () => {
  it('When units and people are listed, then parents and units may be existing or in the sheet; problems name cells', () => {
    const units = grid([
      ['单位名称', '上级单位', '层级', '类型', '简称'],
      ['省教育厅', '江南省人民政府', '部门', '部门', '省教育厅、教育厅'],
      ['省教育厅办公室', '省教育厅', '部门', '办公室', ''],
      ['南州市人民政府', '北方省', '市', '政府', ''],
      ['省财政厅', '江南省人民政府', '级别不明', '部门', ''],
    ]);
    const users = grid([
      ['姓名', '用户名', '角色', '所属单位', '邮箱', '手机'],
      ['周处长', 'zhou', '负责人', '省教育厅', 'zhou@example.org', '13800000000'],
      ['吴干事', 'wu', '经办人', '省卫健委', '', ''],
      ['郑某', 'bad name', '国王', '不存在的单位', 'not-an-email', 'x'],
    ]);
    const result = planDirectory({ units, users }, directory);
    if (!result.ok) throw new Error(result.message);
    const { plan } = result;
    expect(plan.units[0]).toMatchObject({
      name: '省教育厅',
      parentName: '江南省人民政府',
      level: 'department',
      kind: 'department',
      aliases: ['省教育厅', '教育厅'],
      errors: [],
    });
    expect(plan.units[1].errors).toEqual([]);
    expect(plan.units[2].errors.map((e) => e.cell)).toEqual(['B4']);
    expect(plan.units[3].errors.map((e) => e.cell)).toEqual(['C5']);
    expect(plan.units[3].warnings.map((e) => e.cell)).toEqual(['A5']);
    expect(plan.users[0]).toMatchObject({ role: 'unit_head', unitName: '省教育厅', errors: [] });
    expect(plan.users[1].errors).toEqual([]);
    expect(plan.users[2].errors.map((e) => e.cell).sort()).toEqual(['B4', 'C4', 'D4', 'E4', 'F4']);
  });

  it('When neither sheet is there, then the file is refused', () => {
    expect(planDirectory({ units: null, users: null }, directory)).toEqual({
      ok: false,
      message: '没有找到名为“单位”或“人员”的工作表',
    });
  });
});

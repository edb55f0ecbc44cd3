import type { Argv } from 'yargs';

export const envsCommand = {
  command: 'envs',
  describe: 'list the objective families and their parameters',
  builder: (y: Argv) => y.option('json', { type: 'boolean', default: false, describe: 'print JSON' }).example('$0 envs', ''),
  async handler(args: { json: boolean }) {
    const { FAMILIES } = await import('../../envs/registry.ts');
    const { rangeText, resolveParams } = await import('../../envs/family-definition.ts');
    if (args.json) {
      const out = FAMILIES.map((def) => {
        const family = def.name === 'expr' ? null : def.create(resolveParams(def, {}));
        return { name: def.name, description: def.description, dim: family?.dim ?? null, params: def.params };
      });
      console.log(JSON.stringify(out, null, 2));
      return;
    }
    for (const def of FAMILIES) {
      console.log(`${def.name}\n  ${def.description}`);
      for (const [key, spec] of Object.entries(def.params)) {
        const range = rangeText(spec);
        console.log(`    ${key} = ${JSON.stringify(spec.default)}  (${spec.kind}${range ? `, ${range}` : ''}) ${spec.description}`);
      }
      console.log('');
    }
    console.log('Set a parameter with --param key=value, e.g. l2o eval --env logreg --param lambda=0.001');
  },
};

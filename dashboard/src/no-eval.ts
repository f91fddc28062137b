// Imported first by main.ts, before anything builds a zod schema. The page's CSP forbids eval;
// zod probes `new Function` when it builds its first object schema (to compile fast parsers), and
// the browser reports that probe as a policy violation even though zod catches the error.
import { z } from 'zod';

z.config({ jitless: true });

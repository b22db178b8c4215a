#!/usr/bin/env -S node --initial-old-space-size=128 --min-semi-space-size=16
import { main } from '../dist/bundle/main.js';

process.exitCode = await main(process.argv);

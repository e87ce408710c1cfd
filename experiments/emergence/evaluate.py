"""Score a trained emergence run the way benchmarks/RESULTS.md reports it: the background rule and threshold chosen on
100 validation images (`tune_background`; the official threshold rule alone is reported too), then zero-shot mIoU on
200 test images of the run's own world and on 100 `PlainShapes` images (the second renderer), the shape probe and the
grouping oracle; writes eval.json, segmentation.png and groups.png.
Usage: python experiments/emergence/evaluate.py RUN_FOLDER [RUN_FOLDER ...]   (each written by groupvit_train)
"""
import json, sys, time
from pathlib import Path
import torch, yaml
from groupvit_nb.core import GroupViT
from groupvit_nb.demo import (demo_shapes, tune_background, shapes_miou, background_baseline, PlainShapes, shape_probe,
                              grouping_oracle_miou, plot_segmentation, plot_groups, BG_GRIDS)

def evaluate(run:Path) -> dict:
    t0 = time.time()
    settings = yaml.safe_load((run / 'config.yaml').read_text())
    model = GroupViT.from_pretrained(run / 'final.pth').eval()
    tmpl = settings.get('templates', 'simple')
    valid, test = demo_shapes(100, 'valid', 0, settings), demo_shapes(200, 'test', 0, settings)
    second = PlainShapes(100, test.h, test.class_names, 0)
    official = tune_background(model, valid, dict(threshold=BG_GRIDS['threshold']), templates=tmpl)
    cosine = tune_background(model, valid, dict(logit=BG_GRIDS['logit']), templates=tmpl)
    tuned = max(official, cosine, key=lambda r: r['valid_miou'])          # = tune_background over both grids
    bg_thresh, kw = tuned['bg_thresh'], dict(templates=tmpl, bg_mode=tuned['bg_mode'])
    own, plain = shapes_miou(model, test, bg_thresh, **kw), shapes_miou(model, second, bg_thresh, **kw)
    res = dict(run=run.name, bg_mode=tuned['bg_mode'], bg_thresh=bg_thresh, valid_miou=tuned['valid_miou'],
               miou=own['miou'], iou=own['iou'],
               threshold_rule=dict(bg_thresh=official['bg_thresh'],
                                   miou=shapes_miou(model, test, official['bg_thresh'], templates=tmpl)['miou'],
                                   second_renderer=shapes_miou(model, second, official['bg_thresh'], templates=tmpl)['miou']),
               all_background=background_baseline(test)['miou'],
               second_renderer=plain['miou'], second_iou=plain['iou'], second_all_background=background_baseline(second)['miou'],
               probe=shape_probe(model, settings, templates=tmpl)['accuracy'],
               oracle=grouping_oracle_miou(model, test)['miou'], seconds=round(time.time() - t0, 1))
    plot_segmentation(model, test, range(6), bg_thresh, tmpl, run / 'segmentation.png', bg_mode=tuned['bg_mode'])
    plot_groups(model, test, range(4), run / 'groups.png')
    (run / 'eval.json').write_text(json.dumps(res, indent=2))
    return res

if __name__ == '__main__':
    torch.set_num_threads(1)
    for folder in sys.argv[1:]:
        r = evaluate(Path(folder))
        print(f"{r['run']}: mIoU {r['miou']:.3f} (all-bg {r['all_background']:.3f}), second {r['second_renderer']:.3f} "
              f"(all-bg {r['second_all_background']:.3f}), probe {r['probe']:.2f}, oracle {r['oracle']:.3f}, "
              f"bg {r['bg_mode']} {r['bg_thresh']} (threshold rule: {r['threshold_rule']['miou']:.3f} / "
              f"{r['threshold_rule']['second_renderer']:.3f}); " + ' '.join(f"{k} {v:.2f}" for k, v in r['iou'].items() if k != 'background'))

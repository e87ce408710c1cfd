import sys, os, torch, yaml, warnings; warnings.filterwarnings('ignore')
from groupvit_nb.core import GroupViT
from groupvit_nb.demo import demo_shapes, _batches
from groupvit_nb.segment import window_scores
from groupvit_nb.classes import class_embeddings
from groupvit_nb.eval import SegmentationMetric
torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', 2)))
s = yaml.safe_load(open(sys.argv[2])); m = GroupViT.from_pretrained(sys.argv[1]).eval()
t = float(sys.argv[3])
ds = demo_shapes(200, 'valid', 0, s); names = list(ds.class_names); C = len(names) + 1
text = class_embeddings(m, names, templates=s['templates'], cache=False)
met = SegmentationMetric(['background', *names])
with torch.no_grad():
    for x, y in _batches(ds, 100):
        p = window_scores(m, x, text, bg_thresh=t).argmax(1)
        met.update(p, y)
conf = met.confmat.compute()  # rows: truth, columns: prediction
torch.set_printoptions(linewidth=200)
print('rows = truth (bg, kinds), cols = prediction, % of row'); print((100 * conf / conf.sum(1, keepdim=True)).round().int())
fg = conf[1:].sum(); print('fg pixels predicted bg %.2f, fg right kind %.2f, fg wrong kind %.2f; bg predicted fg %.2f' % (
    conf[1:, 0].sum() / fg, conf[1:, 1:].diag().sum() / fg, (conf[1:, 1:].sum() - conf[1:, 1:].diag().sum()) / fg, conf[0, 1:].sum() / conf[0].sum()))

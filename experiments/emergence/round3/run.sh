# run.sh NAME [threads] [extra flags...]: train with NAME.yaml, then evaluate and diagnose
n=$1; t=${2:-1}; shift 2
OUT=${EMERGENCE_DIR:-runs/emergence}; mkdir -p $OUT
cd "$(dirname "$0")/../../.."
start=$(date +%s)
OMP_NUM_THREADS=$t groupvit_train --config experiments/emergence/round3/$n.yaml --out $OUT/$n --no-progress "$@" > $OUT/$n.log 2>&1
echo "TRAIN_S $(( $(date +%s) - start ))" >> $OUT/$n.log
OMP_NUM_THREADS=$t python experiments/emergence/round3/ev.py $OUT/$n/final.pth experiments/emergence/round3/$n.yaml $t >> $OUT/$n.log 2>&1
OMP_NUM_THREADS=$t python experiments/emergence/round3/diag.py $OUT/$n/final.pth experiments/emergence/round3/$n.yaml >> $OUT/$n.log 2>&1
echo DONE >> $OUT/$n.log
